//go:build e2e

package e2e

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

var _ = Describe("The operator in the local cluster", func() {
	It("runs as real pods from the locally built image", func(ctx SpecContext) {
		// Other specs kill replicas; the Deployment replaces them, and this waits for that.
		Eventually(func(g Gomega) {
			pods := &corev1.PodList{}
			g.Expect(k8s.List(ctx, pods, client.InNamespace(operatorNamespace),
				client.MatchingLabels{"control-plane": "controller-manager"})).To(Succeed())
			g.Expect(pods.Items).NotTo(BeEmpty())
			for i := range pods.Items {
				g.Expect(pods.Items[i].Spec.Containers[0].Image).To(Equal(operatorImage))
				g.Expect(pods.Items[i].Status.ContainerStatuses).To(ContainElement(SatisfyAll(
					HaveField("Name", "manager"),
					HaveField("Ready", true),
					HaveField("State.Running", Not(BeNil())),
				)), "the manager container of %s runs and passes its readiness probe", pods.Items[i].Name)
			}
		}).WithContext(ctx).Should(Succeed())
	})

	It("reports a pod made before its StatefulSingleton, so unprepared, and leaves it running (S3)", func(ctx SpecContext) {
		ns := newRestrictedNamespace(ctx)
		Expect(k8s.Create(ctx, deployment(ns, "db",
			restrictedContainer("app", "sh", "-c", "echo started; exec sleep 3600")))).To(Succeed())

		By("waiting for the Deployment's pod to run its container, with no StatefulSingleton yet: the webhook leaves it")
		Eventually(func(g Gomega) {
			pods := &corev1.PodList{}
			g.Expect(k8s.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{"app": "db"})).To(Succeed())
			g.Expect(pods.Items).To(HaveLen(1))
			g.Expect(pods.Items[0].Labels).NotTo(HaveKey(singletonv1.LabelManaged))
			g.Expect(pods.Items[0].Spec.InitContainers).To(BeEmpty())
			g.Expect(pods.Items[0].Status.ContainerStatuses).To(ConsistOf(HaveField("State.Running", Not(BeNil()))))
		}).WithContext(ctx).Should(Succeed())

		ss := &singletonv1.StatefulSingleton{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"},
			Spec:       singletonv1.StatefulSingletonSpec{Selector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}},
		}
		Expect(k8s.Create(ctx, ss)).To(Succeed())

		By("waiting for the StatefulSingleton to report it as unguarded")
		Eventually(func(g Gomega) {
			got := &singletonv1.StatefulSingleton{}
			g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(ss), got)).To(Succeed())
			g.Expect(got.Status.Phase).To(Equal(singletonv1.PhaseFailed))
		}).WithContext(ctx).Should(Succeed())
		Eventually(degradedCondition).WithContext(ctx).WithArguments(ss).Should(SatisfyAll(
			Not(BeNil()),
			HaveField("Reason", singletonv1.ReasonUnguardedPods),
		))

		By("leaving the only pod running: no newer pod waits for it")
		Consistently(func(g Gomega) {
			pods := &corev1.PodList{}
			g.Expect(k8s.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{"app": "db"})).To(Succeed())
			g.Expect(pods.Items).To(ConsistOf(HaveField("DeletionTimestamp", BeNil())))
		}).WithContext(ctx).WithTimeout(3 * time.Second).Should(Succeed())
	})
})
