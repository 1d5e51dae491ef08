//go:build e2e

package e2e

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

var _ = Describe("A StatefulSet under a StatefulSingleton", func() {
	// The StatefulSet re-creates db-0 under the same name once the old one is gone: the ledger
	// names each run by pod name and UID, and the controller pins its actions by UID.
	It("rolls out (OrderedReady, RollingUpdate) with no overlap, the new db-0 prepared, released and Ready", func(ctx SpecContext) {
		book := startLedger()
		ns := newRestrictedNamespace(ctx)
		createSingleton(ctx, ns, "db")
		app := restrictedContainer("app", "sh", "-c", reportingScriptAs(book.URL, "$HOSTNAME/$POD_UID"))
		app.Env = []corev1.EnvVar{{Name: "POD_UID", ValueFrom: &corev1.EnvVarSource{
			FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.uid"},
		}}}
		sts := statefulSet(ns, "db", app)
		Expect(k8s.Create(ctx, sts)).To(Succeed())

		By("waiting for db-0 to be prepared, released and Ready")
		first := waitForOnlyPodReady(ctx, ns, "db", "")
		Expect(first.Name).To(Equal("db-0"))
		Expect(first.Labels).To(HaveKeyWithValue(singletonv1.LabelManaged, "true"))
		Expect(first.Annotations).To(HaveKeyWithValue(singletonv1.AnnotationRelease, string(first.UID)))
		firstRun := "db-0/" + string(first.UID)
		Eventually(book.Runs).WithContext(ctx).Should(ConsistOf(HaveField("Pod", firstRun)),
			"the first db-0's application started once")

		By("changing the template: the StatefulSet deletes db-0 and re-creates it")
		restartStatefulSet(ctx, sts)
		second := waitForOnlyPodReady(ctx, ns, "db", first.UID)
		Expect(second.Name).To(Equal("db-0"))
		Expect(second.Labels).To(HaveKeyWithValue(singletonv1.LabelManaged, "true"))
		Expect(second.Annotations).To(HaveKeyWithValue(singletonv1.AnnotationRelease, string(second.UID)),
			"the release names the new pod's UID, not the old one's")

		By("checking the ledger: one run per pod, in turn, never two at once")
		expectRunsInTurn(ctx, book, firstRun, "db-0/"+string(second.UID))
	})
})

// statefulSet returns a one-replica StatefulSet (OrderedReady, RollingUpdate) whose pods carry
// the label app=<name>.
func statefulSet(namespace, name string, container corev1.Container) *appsv1.StatefulSet {
	labels := map[string]string{"app": name}
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: appsv1.StatefulSetSpec{
			Replicas:            ptr.To[int32](1),
			ServiceName:         name,
			PodManagementPolicy: appsv1.OrderedReadyPodManagement,
			UpdateStrategy:      appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType},
			Selector:            &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: ptr.To[int64](5),
					Containers:                    []corev1.Container{container},
				},
			},
		},
	}
}

// restartStatefulSet stamps the StatefulSet's pod template, as `kubectl rollout restart` does.
func restartStatefulSet(ctx context.Context, sts *appsv1.StatefulSet) {
	GinkgoHelper()
	patch := client.MergeFrom(sts.DeepCopy())
	if sts.Spec.Template.Annotations == nil {
		sts.Spec.Template.Annotations = map[string]string{}
	}
	sts.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] = metav1.Now().Format("2006-01-02T15:04:05.000Z07:00")
	Expect(k8s.Patch(ctx, sts, patch)).To(Succeed())
}
