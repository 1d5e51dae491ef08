//go:build e2e

package e2e

import (
	"context"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// leaderLease is the Lease the operator's replicas elect their leader with (cmd/main.go).
const leaderLease = "singleton-operator.statefulsingleton.com"

var _ = Describe("Two operator replicas with leader election", Serial, func() {
	It("resume a transition from the API alone when the leader is killed in the middle of it (S2)", func(ctx SpecContext) {
		// Two replicas is what config/manager deploys; make sure both are available.
		scaleOperator(ctx, 2)

		// The old application takes 2 s to stop: the leader dies while it stops.
		run := startSlowStopRun(ctx)
		book, ns, ss, d, first := run.book, run.ns, run.ss, run.d, run.first

		By("restarting the rollout, and killing the leader once it asked the old pod to stop")
		restartRollout(ctx, d)
		Eventually(func(g Gomega) {
			g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(&first), &first)).To(Succeed())
			g.Expect(first.DeletionTimestamp).NotTo(BeNil())
		}).WithContext(ctx).Should(Succeed(), "the leader asks the old pod to stop")
		killed := leaderPod(ctx)
		Expect(k8s.Delete(ctx, &corev1.Pod{ObjectMeta: killed.ObjectMeta}, client.GracePeriodSeconds(0))).To(Succeed())
		GinkgoWriter.Printf("killed the leader %s\n", killed.Name)

		By("waiting for another replica to lead and finish the hand-over")
		Eventually(func(g Gomega) {
			g.Expect(leaderPod(ctx).Name).NotTo(Equal(killed.Name))
		}).WithContext(ctx).Should(Succeed())
		second := waitForOnlyRunningPodReady(ctx, ns, first.Name)
		Eventually(singletonStatus).WithContext(ctx).WithArguments(ss).Should(SatisfyAll(
			HaveField("ActivePod", second.Name),
			HaveField("LastTransition.From", first.Name),
			HaveField("LastTransition.To", second.Name)))
		expectRunsInTurn(ctx, book, first.Name, second.Name)
	})
})

// scaleOperator sets the operator's replicas and waits until that many are available.
func scaleOperator(ctx context.Context, replicas int32) {
	GinkgoHelper()
	d := &appsv1.Deployment{}
	Expect(k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: operatorDeployment}, d)).To(Succeed())
	patch := client.MergeFrom(d.DeepCopy())
	d.Spec.Replicas = ptr.To(replicas)
	Expect(k8s.Patch(ctx, d, patch)).To(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(d), d)).To(Succeed())
		g.Expect(d.Status.ObservedGeneration).To(Equal(d.Generation))
		g.Expect(d.Status.Replicas).To(Equal(replicas), "no old replica left")
		g.Expect(d.Status.AvailableReplicas).To(Equal(replicas))
	}).WithContext(ctx).Should(Succeed(), "%d operator replicas available", replicas)
}

// leaderPod returns the operator pod that holds the leader Lease.
func leaderPod(ctx context.Context) corev1.Pod {
	GinkgoHelper()
	var pod corev1.Pod
	Eventually(func(g Gomega) {
		lease := &coordinationv1.Lease{}
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: leaderLease}, lease)).To(Succeed())
		g.Expect(lease.Spec.HolderIdentity).NotTo(BeNil())
		// controller-runtime's identity is <hostname>_<uuid>; the hostname is the pod's name.
		name, _, _ := strings.Cut(*lease.Spec.HolderIdentity, "_")
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: name}, &pod)).To(Succeed())
	}).WithContext(ctx).Should(Succeed(), "an operator pod holds the Lease %s", leaderLease)
	return pod
}
