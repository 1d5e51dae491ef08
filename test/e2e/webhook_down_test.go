//go:build e2e

package e2e

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/controller/webhookguard"
)

var _ = Describe("No replica of the operator serving the webhook", Serial, func() {
	It("refuses the pods a StatefulSingleton selects, admits every other, and prepares them once it serves again", func(ctx SpecContext) {
		ns := newRestrictedNamespace(ctx)
		ss := createSingleton(ctx, ns, "db")

		By("scaling the operator to zero: the API server cannot reach the webhook")
		DeferCleanup(func(ctx SpecContext) { scaleOperator(ctx, 2) })
		scaleOperator(ctx, 0)

		By("refusing, through the guard entry, a pod the StatefulSingleton selects")
		// Eventually: a replica that is still stopping may answer the first calls.
		Eventually(func() error {
			_, err := dryRunPod(ctx, ns, map[string]string{"app": "db"})
			return err
		}).WithContext(ctx).Should(MatchError(ContainSubstring(webhookguard.EntryName(ss.UID))))

		By("admitting, unprepared, a pod nobody selects in the same namespace, and the same labels in another one")
		prepared, err := dryRunPod(ctx, ns, map[string]string{"app": "web"})
		Expect(err).NotTo(HaveOccurred())
		Expect(prepared).To(BeFalse())
		prepared, err = dryRunPod(ctx, newRestrictedNamespace(ctx), map[string]string{"app": "db"})
		Expect(err).NotTo(HaveOccurred())
		Expect(prepared).To(BeFalse())

		By("starting the operator again (its own pods never go through its webhook): the pod is prepared")
		scaleOperator(ctx, 2)
		Eventually(dryRunPod).WithContext(ctx).WithArguments(ns, map[string]string{"app": "db"}).Should(BeTrue())
	})
})

var _ = Describe("A pod created before its StatefulSingleton (docs/design.md, predecessor defect 3)", Serial, func() {
	It("is reported unguarded, and the rollout's prepared pod is held until it is gone, with no overlap", func(ctx SpecContext) {
		book := startLedger()
		ns := newRestrictedNamespace(ctx)

		By("creating the Deployment before the StatefulSingleton: its pod escapes the webhook")
		d := deployment(ns, "db", restrictedContainer("app", "sh", "-c", reportingScript(book.URL)))
		Expect(k8s.Create(ctx, d)).To(Succeed())
		var first corev1.Pod
		Eventually(func(g Gomega) {
			pods := &corev1.PodList{}
			g.Expect(k8s.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{"app": "db"})).To(Succeed())
			g.Expect(pods.Items).To(HaveLen(1))
			first = pods.Items[0]
		}).WithContext(ctx).Should(Succeed(), "the Deployment's pod exists")
		Expect(first.Labels).NotTo(HaveKey(singletonv1.LabelManaged), "the pod escaped the webhook")
		Eventually(book.Runs).WithContext(ctx).Should(ConsistOf(HaveField("Pod", first.Name)),
			"the unguarded application started at once")
		ss := createSingleton(ctx, ns, "db")

		By("waiting for the StatefulSingleton to report the pod as unguarded")
		Eventually(degradedCondition).WithContext(ctx).WithArguments(ss).Should(SatisfyAll(
			Not(BeNil()),
			HaveField("Status", metav1.ConditionTrue),
			HaveField("Reason", singletonv1.ReasonUnguardedPods),
			HaveField("Message", ContainSubstring(first.Name)),
		), "Degraded=UnguardedPods naming %s", first.Name)

		By("rolling out: the new pod is prepared and held until the unguarded one is gone")
		restartRollout(ctx, d)
		released := waitForReleaseAfterStop(ctx, ns, "db", first.UID)
		second := waitForOnlyPodReady(ctx, ns, "db", first.UID)
		Expect(second.Name).To(Equal(released))
		Expect(second.Labels).To(HaveKeyWithValue(singletonv1.LabelManaged, "true"))

		By("checking the ledger: one run per pod, in turn, never two at once")
		expectRunsInTurn(ctx, book, first.Name, second.Name)

		By("waiting for the unguarded report to clear")
		Eventually(degradedCondition).WithContext(ctx).WithArguments(ss).Should(SatisfyAll(
			Not(BeNil()),
			HaveField("Status", metav1.ConditionFalse),
		), "Degraded=False once the unguarded pod is gone")
	})
})

// dryRunPod creates a pod with these labels in ns with dryRun, so that it goes through
// admission and nothing runs, and reports whether the webhook prepared it.
func dryRunPod(ctx context.Context, ns string, podLabels map[string]string) (bool, error) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "probe-", Labels: podLabels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{restrictedContainer("app", "true")}},
	}
	if err := k8s.Create(ctx, pod, client.DryRunAll); err != nil {
		return false, err
	}
	return pod.Labels[singletonv1.LabelManaged] == "true", nil
}
