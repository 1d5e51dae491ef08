//go:build e2e

package e2e

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/controller/webhookguard"
	"github.com/singleton-operator/singleton-operator/internal/gatewire"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
)

var _ = Describe("A Deployment under a StatefulSingleton", func() {
	It("has its pod prepared, released and Ready, and rolls out (Recreate) with no overlap", func(ctx SpecContext) {
		rolloutWithoutOverlap(ctx, appsv1.RecreateDeploymentStrategyType)
	})

	It("holds a container without a command (args only) with the native sidecar until its release", func(ctx SpecContext) {
		book := startLedger()
		ns := newRestrictedNamespace(ctx)
		createSingleton(ctx, ns, "db")
		app := restrictedContainer("app")
		// busybox has no ENTRYPOINT: the args are the whole argv, as the image's CMD would be.
		app.Args = []string{"sh", "-c", reportingScript(book.URL)}
		Expect(k8s.Create(ctx, deployment(ns, "db", app))).To(Succeed())

		pod := waitForOnlyPodReady(ctx, ns, "db", "")
		Expect(pod.Spec.Containers[0].Command).To(BeEmpty())
		Expect(pod.Spec.Containers[0].Args).To(Equal(app.Args))
		Expect(initContainerNames(pod)).To(Equal([]string{
			podwebhook.InstallContainer, "singleton-pull-app", podwebhook.SidecarContainer}))
		Expect(pod.Annotations).To(HaveKeyWithValue(singletonv1.AnnotationRelease, string(pod.UID)))
		Eventually(book.Runs).Should(ConsistOf(HaveField("Pod", pod.Name)), "the application started once")
	})

	// The old ReplicaSet replaces the old pod the operator deletes (it counts terminating pods as
	// gone); that replacement is held, and must neither be released nor stop the new revision.
	It("rolls out (RollingUpdate with surge) with no overlap and one start per new pod", func(ctx SpecContext) {
		rolloutWithoutOverlap(ctx, appsv1.RollingUpdateDeploymentStrategyType)
	})
})

// rolloutWithoutOverlap runs a one-replica Deployment under a StatefulSingleton, restarts its
// rollout, and checks with the ledger that the old and the new application ran one after the
// other, each once.
func rolloutWithoutOverlap(ctx context.Context, strategy appsv1.DeploymentStrategyType) {
	book := startLedger()
	ns := newRestrictedNamespace(ctx)
	ss := createSingleton(ctx, ns, "db")
	d := deployment(ns, "db", restrictedContainer("app", "sh", "-c", reportingScript(book.URL)))
	d.Spec.Strategy.Type = strategy
	Expect(k8s.Create(ctx, d)).To(Succeed())

	By("waiting for the first pod to be prepared, released and Ready")
	first := waitForOnlyPodReady(ctx, ns, "db", "")
	Expect(first.Labels).To(HaveKeyWithValue(singletonv1.LabelManaged, "true"))
	Expect(first.Labels).To(HaveKeyWithValue(singletonv1.LabelInstance, ss.Name))
	Expect(first.Spec.InitContainers[0].Name).To(Equal(podwebhook.InstallContainer))
	Expect(first.Spec.InitContainers[0].Image).To(Equal(operatorImage))
	Expect(first.Spec.Containers[0].Command[:3]).To(Equal([]string{podwebhook.BinGatePath, "exec", gatewire.FlagSupervise}))
	Expect(first.Annotations).To(HaveKeyWithValue(singletonv1.AnnotationRelease, string(first.UID)))
	Eventually(book.Runs).Should(ConsistOf(HaveField("Pod", first.Name)), "the application started once")

	By("restarting the rollout")
	restartRollout(ctx, d)
	second := waitForOnlyPodReady(ctx, ns, "db", first.UID)
	Eventually(func() error {
		return k8s.Get(ctx, client.ObjectKeyFromObject(&first), &corev1.Pod{})
	}).WithContext(ctx).Should(MatchError(ContainSubstring("not found")), "the old pod is gone")

	By("checking the ledger: one run per pod, in turn, never two at once")
	Eventually(book.Runs).Should(HaveLen(2))
	Consistently(book.Runs).WithTimeout(3*time.Second).Should(HaveLen(2), "no other start happened")
	runs := book.Runs()
	Expect(runs[0].Pod).To(Equal(first.Name))
	Expect(runs[1].Pod).To(Equal(second.Name))
	Expect(runs[0].Stop.IsZero()).To(BeFalse(), "the old application reported its stop")
	Expect(Overlaps(runs)).To(BeEmpty())
	gap := runs[1].Start.Sub(runs[0].Stop)
	AddReportEntry("hand-over gap ("+string(strategy)+")", gap.String())
	GinkgoWriter.Printf("hand-over gap (%s; old app stopped -> new app started): %s\n", strategy, gap)
}

// createSingleton creates a StatefulSingleton selecting app=<name>, and waits until the
// operator has reconciled it and its guard entry exists: from then on the pods it selects are
// prepared, or refused, by whichever replica the API server calls, however far behind that
// replica's cache is.
func createSingleton(ctx context.Context, ns, name string, edits ...func(*singletonv1.StatefulSingleton),
) *singletonv1.StatefulSingleton {
	GinkgoHelper()
	ss := &singletonv1.StatefulSingleton{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: singletonv1.StatefulSingletonSpec{
			Selector: metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
		},
	}
	for _, edit := range edits {
		edit(ss)
	}
	Expect(k8s.Create(ctx, ss)).To(Succeed())
	Eventually(func(g Gomega) {
		got := &singletonv1.StatefulSingleton{}
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(ss), got)).To(Succeed())
		g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
	}).WithContext(ctx).Should(Succeed())
	waitForGuardEntry(ctx, ss)
	return ss
}

// waitForGuardEntry waits until the guard configuration holds the StatefulSingleton's entry.
func waitForGuardEntry(ctx context.Context, ss *singletonv1.StatefulSingleton) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
		g.Expect(k8s.Get(ctx, client.ObjectKey{Name: webhookguard.DefaultName}, cfg)).To(Succeed())
		g.Expect(cfg.Webhooks).To(ContainElement(HaveField("Name", webhookguard.EntryName(ss.UID))))
	}).WithContext(ctx).Should(Succeed(), "the guard entry of %s", ss.Name)
}

// waitForOnlyPodReady waits until app=<app> selects exactly one pod, whose UID is not notUID
// (StatefulSets reuse names), and it is Ready, and returns it.
func waitForOnlyPodReady(ctx context.Context, ns, app string, notUID types.UID) corev1.Pod {
	GinkgoHelper()
	var pod corev1.Pod
	Eventually(func(g Gomega) {
		pods := &corev1.PodList{}
		g.Expect(k8s.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{"app": app})).To(Succeed())
		g.Expect(pods.Items).To(HaveLen(1))
		pod = pods.Items[0]
		g.Expect(pod.UID).NotTo(Equal(notUID))
		g.Expect(pod.Status.Conditions).To(ContainElement(SatisfyAll(
			HaveField("Type", corev1.PodReady), HaveField("Status", corev1.ConditionTrue))))
	}).WithContext(ctx).Should(Succeed(), "one Ready pod app=%s other than UID %q", app, notUID)
	return pod
}

// restartRollout does what `kubectl rollout restart` does: it stamps the pod template. The
// stamp has nanoseconds, where kubectl's has seconds: two restarts within one second would
// stamp the same template, and the second would roll nothing out (the benchmark's quick plain
// Deployment rows did, and their next pod never came).
func restartRollout(ctx context.Context, d *appsv1.Deployment) {
	GinkgoHelper()
	patch := client.MergeFrom(d.DeepCopy())
	if d.Spec.Template.Annotations == nil {
		d.Spec.Template.Annotations = map[string]string{}
	}
	d.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] = time.Now().Format(time.RFC3339Nano)
	Expect(k8s.Patch(ctx, d, patch)).To(Succeed())
}

func initContainerNames(pod corev1.Pod) []string {
	names := make([]string, 0, len(pod.Spec.InitContainers))
	for i := range pod.Spec.InitContainers {
		names = append(names, pod.Spec.InitContainers[i].Name)
	}
	return names
}
