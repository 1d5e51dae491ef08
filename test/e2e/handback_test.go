//go:build e2e

package e2e

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

var _ = Describe("Deleting a StatefulSingleton mid-transition (docs/design.md, predecessor defect 9)", func() {
	It("finishes the hand-over first, leaves no pod held, and the workload then rolls out unguarded", func(ctx SpecContext) {
		// The old application takes 2 s to stop, so the deletion lands while it still runs.
		run := startSlowStopRun(ctx, func(d *appsv1.Deployment) { d.Spec.Strategy.Type = appsv1.RecreateDeploymentStrategyType })
		book, ns, ss, d, first := run.book, run.ns, run.ss, run.d, run.first

		By("restarting the rollout and deleting the StatefulSingleton while the old pod stops")
		restartRollout(ctx, d)
		Eventually(func(g Gomega) {
			pods := &corev1.PodList{}
			g.Expect(k8s.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{"app": "db"})).To(Succeed())
			g.Expect(pods.Items).To(HaveLen(2), "the new pod exists beside the stopping one")
		}).WithContext(ctx).Should(Succeed())
		Expect(k8s.Delete(ctx, ss)).To(Succeed())

		By("waiting for the new pod to be released after the old one stopped, and Ready")
		second := waitForReleaseAfterStop(ctx, ns, "db", first.UID)
		ready := waitForOnlyPodReady(ctx, ns, "db", first.UID)
		Expect(ready.Name).To(Equal(second))
		Eventually(func() error { return k8s.Get(ctx, client.ObjectKeyFromObject(ss), ss) }).
			WithContext(ctx).Should(Satisfy(apierrors.IsNotFound), "the StatefulSingleton is gone once nothing is in flight")
		Eventually(func(g Gomega) {
			pod := &corev1.Pod{}
			g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: second}, pod)).To(Succeed())
			g.Expect(pod.Finalizers).NotTo(ContainElement(singletonv1.FinalizerRelease))
		}).WithContext(ctx).Should(Succeed(), "no finalizer of ours is left on the running pod")
		expectRunsInTurn(ctx, book, first.Name, second)

		By("rolling out once more: the next pod is not prepared, so nothing holds it")
		restartRollout(ctx, d)
		third := waitForOnlyPodReady(ctx, ns, "db", ready.UID)
		Expect(third.Labels).NotTo(HaveKey(singletonv1.LabelManaged))
		Expect(third.Spec.ReadinessGates).To(BeEmpty())
	})
})
