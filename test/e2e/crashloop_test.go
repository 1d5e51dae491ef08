//go:build e2e

package e2e

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

var _ = Describe("A crash-looping released pod (docs/design.md, predecessor defect 1)", func() {
	It("is not taken for stopped: a rollout's new pod starts only once the old one is confirmed stopped", func(ctx SpecContext) {
		book := startLedger()
		ns := newRestrictedNamespace(ctx)
		createSingleton(ctx, ns, "worker")
		d := deployment(ns, "worker", restrictedContainer("worker", "sh", "-c", crashingScript(book.URL)))
		Expect(k8s.Create(ctx, d)).To(Succeed())

		By("waiting for the released pod's application to crash and be restarted by the kubelet")
		var first corev1.Pod
		Eventually(func(g Gomega) {
			pods := &corev1.PodList{}
			g.Expect(k8s.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{"app": "worker"})).To(Succeed())
			g.Expect(pods.Items).To(HaveLen(1))
			first = pods.Items[0]
			g.Expect(first.Annotations).To(HaveKeyWithValue(singletonv1.AnnotationRelease, string(first.UID)))
			g.Expect(first.Status.ContainerStatuses).To(ContainElement(SatisfyAll(
				HaveField("RestartCount", BeNumerically(">=", 1)),
				HaveField("State.Running", BeNil()),
			)))
		}).WithContext(ctx).Should(Succeed(), "the released pod's container restarted and is down again, waiting for its next restart")
		Expect(len(book.Runs())).To(BeNumerically(">=", 2), "the ledger saw every start")

		By("rolling out a template whose application does not crash, while the old one is down between two restarts; the new pod is held until the old one is confirmed stopped")
		patch := client.MergeFrom(d.DeepCopy())
		d.Spec.Template.Spec.Containers[0].Command = []string{"sh", "-c", reportingScript(book.URL)}
		Expect(k8s.Patch(ctx, d, patch)).To(Succeed())
		released := waitForReleaseAfterStop(ctx, ns, "worker", first.UID)
		second := waitForOnlyPodReady(ctx, ns, "worker", first.UID)
		Expect(second.Name).To(Equal(released))

		By("checking the ledger: every run of the old pod ended before the new one started")
		Eventually(func() string {
			runs := book.Runs()
			return runs[len(runs)-1].Pod
		}).WithContext(ctx).Should(Equal(second.Name), "the new application started")
		Consistently(func() string {
			runs := book.Runs()
			return runs[len(runs)-1].Pod
		}).WithContext(ctx).WithTimeout(3*time.Second).Should(Equal(second.Name), "no run started after the new one")
		runs := book.Runs()
		for _, run := range runs[:len(runs)-1] {
			Expect(run.Pod).To(Equal(first.Name))
			Expect(run.Stop.IsZero()).To(BeFalse(), "every run of the old pod reported its stop")
		}
		Expect(runs[len(runs)-1:]).To(ConsistOf(HaveField("Pod", second.Name)), "the new pod started once")
		Expect(Overlaps(runs)).To(BeEmpty())
		GinkgoWriter.Printf("ledger: %d runs of the crash-looping pod, then 1 of the new one, no overlap; gap %s\n",
			len(runs)-1, runs[len(runs)-1].Start.Sub(runs[len(runs)-2].Stop))
	})
})
