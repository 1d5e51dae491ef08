//go:build e2e

package e2e

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

const (
	webhookConfiguration = "singleton-operator-mutating-webhook-configuration"
	podWebhook           = "mpod.statefulsingleton.com"
)

var _ = Describe("A pod created while the webhook skips its namespace (docs/design.md, predecessor defect 3)", Serial, func() {
	It("is reported unguarded, and the rollout's prepared pod is held until it is gone, with no overlap", func(ctx SpecContext) {
		book := startLedger()
		ns := newRestrictedNamespace(ctx)
		ss := createSingleton(ctx, ns, "db")

		By("making the webhook skip the test namespace, as if it were down for it")
		restore := skipWebhookFor(ctx, ns)
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

		By("waiting for the StatefulSingleton to report the pod as unguarded")
		Eventually(degradedCondition).WithContext(ctx).WithArguments(ss).Should(SatisfyAll(
			Not(BeNil()),
			HaveField("Status", metav1.ConditionTrue),
			HaveField("Reason", singletonv1.ReasonUnguardedPods),
			HaveField("Message", ContainSubstring(first.Name)),
		), "Degraded=UnguardedPods naming %s", first.Name)

		By("restoring the webhook and rolling out: the new pod is prepared and held until the unguarded one is gone")
		restore(ctx)
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

// skipWebhookFor changes the pod webhook's namespaceSelector so that it skips the namespace
// ns, waits until a dry-run pod created there comes back unprepared, and returns a function
// that restores the selector and waits until a dry-run pod comes back prepared. The
// restoration also runs at the spec's cleanup; it is idempotent.
func skipWebhookFor(ctx context.Context, ns string) func(context.Context) {
	GinkgoHelper()
	var original *metav1.LabelSelector
	updateSelector(ctx, func(w *admissionregistrationv1.MutatingWebhook) {
		original = w.NamespaceSelector.DeepCopy()
		skip := w.NamespaceSelector.DeepCopy()
		if skip == nil {
			skip = &metav1.LabelSelector{}
		}
		skip.MatchExpressions = append(skip.MatchExpressions, metav1.LabelSelectorRequirement{
			Key: corev1.LabelMetadataName, Operator: metav1.LabelSelectorOpNotIn, Values: []string{ns},
		})
		w.NamespaceSelector = skip
	})
	restored := false
	restore := func(ctx context.Context) {
		GinkgoHelper()
		if restored {
			return
		}
		updateSelector(ctx, func(w *admissionregistrationv1.MutatingWebhook) { w.NamespaceSelector = original })
		restored = true
		Eventually(dryRunPrepared).WithContext(ctx).WithArguments(ns).Should(BeTrue(),
			"the API server calls the webhook for %s again", ns)
	}
	DeferCleanup(restore)
	Eventually(dryRunPrepared).WithContext(ctx).WithArguments(ns).Should(BeFalse(),
		"the API server skips the webhook for %s", ns)
	return restore
}

// updateSelector applies change to the pod webhook of the operator's configuration.
func updateSelector(ctx context.Context, change func(*admissionregistrationv1.MutatingWebhook)) {
	GinkgoHelper()
	Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
		if err := k8s.Get(ctx, client.ObjectKey{Name: webhookConfiguration}, cfg); err != nil {
			return err
		}
		found := false
		for i := range cfg.Webhooks {
			if cfg.Webhooks[i].Name == podWebhook {
				change(&cfg.Webhooks[i])
				found = true
			}
		}
		Expect(found).To(BeTrue(), "%s has the webhook %s", webhookConfiguration, podWebhook)
		return k8s.Update(ctx, cfg)
	})).To(Succeed())
}

// dryRunPrepared creates a pod app=db in ns with dryRun and reports whether the webhook
// prepared it.
func dryRunPrepared(ctx context.Context, ns string) (bool, error) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "probe-", Labels: map[string]string{"app": "db"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{restrictedContainer("app", "true")}},
	}
	if err := k8s.Create(ctx, pod, client.DryRunAll); err != nil {
		return false, err
	}
	return pod.Labels[singletonv1.LabelManaged] == "true", nil
}
