package integration

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/v1"
)

var _ = Describe("The StatefulSingleton reconciler", func() {
	var ns string
	BeforeEach(func(ctx SpecContext) { ns = newNamespace(ctx) })

	It("reports the pods it selects, driven by pod events", func(ctx SpecContext) {
		ss := &singletonv1.StatefulSingleton{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"},
			Spec: singletonv1.StatefulSingletonSpec{
				Selector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			},
		}
		Expect(k8s.Create(ctx, ss)).To(Succeed())

		By("reporting that nothing is selected yet")
		Eventually(readyCondition).WithContext(ctx).WithArguments(ss).Should(SatisfyAll(
			HaveField("Status", metav1.ConditionFalse),
			HaveField("Reason", singletonv1.ReasonNoPods),
			HaveField("ObservedGeneration", int64(1)),
		))

		By("noticing a matching pod without any change to the StatefulSingleton")
		Expect(k8s.Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db-0", Labels: map[string]string{"app": "db"}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "localhost/busybox:1.35"}}},
		})).To(Succeed())
		Eventually(readyCondition).WithContext(ctx).WithArguments(ss).Should(SatisfyAll(
			HaveField("Status", metav1.ConditionUnknown),
			HaveField("Message", ContainSubstring("matches 1 pod")),
		))

		By("stamping the generation of a changed spec")
		patch := client.MergeFrom(ss.DeepCopy())
		ss.Spec.MaxTransitionTime = 60
		Expect(k8s.Patch(ctx, ss, patch)).To(Succeed())
		Eventually(func(g Gomega) {
			got := &singletonv1.StatefulSingleton{}
			g.Expect(k8s.Get(ctx, keyOf(ss), got)).To(Succeed())
			g.Expect(got.Status.ObservedGeneration).To(Equal(int64(2)))
		}).WithContext(ctx).Should(Succeed())
	})
})

// readyCondition reads the Ready condition of a StatefulSingleton from the API server.
func readyCondition(ctx SpecContext, ss *singletonv1.StatefulSingleton) (*metav1.Condition, error) {
	got := &singletonv1.StatefulSingleton{}
	if err := k8s.Get(ctx, keyOf(ss), got); err != nil {
		return nil, err
	}
	return meta.FindStatusCondition(got.Status.Conditions, singletonv1.ConditionReady), nil
}

func keyOf(obj client.Object) client.ObjectKey { return client.ObjectKeyFromObject(obj) }
