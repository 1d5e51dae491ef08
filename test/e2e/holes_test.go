//go:build e2e

package e2e

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// The scenarios of a hostile review of S1 (docs/design.md), on real pods under the ledger.
var _ = Describe("A StatefulSingleton renamed under a running workload", func() {
	It("hands the next rollout over without overlap: the old name's released pod holds the new name's pod", func(ctx SpecContext) {
		run := startSlowStopRun(ctx)

		By("creating db-renamed with the same selector, then deleting db, as GitOps does a rename")
		renamed := run.ss.DeepCopy()
		renamed.ObjectMeta = metav1.ObjectMeta{Namespace: run.ns, Name: "db-renamed"}
		renamed.Status = singletonv1.StatefulSingletonStatus{}
		Expect(k8s.Create(ctx, renamed)).To(Succeed())
		Expect(k8s.Delete(ctx, run.ss)).To(Succeed())
		Eventually(func() error { return k8s.Get(ctx, client.ObjectKeyFromObject(run.ss), run.ss) }).
			WithContext(ctx).Should(MatchError(ContainSubstring("not found")), "db handed its workload back")

		By("rolling out: the new pod is released only after the old one stopped")
		restartRollout(ctx, run.d)
		released := waitForReleaseAfterStop(ctx, run.ns, "db", run.first.UID)
		second := waitForOnlyPodReady(ctx, run.ns, "db", run.first.UID)
		Expect(second.Name).To(Equal(released))
		expectRunsInTurn(ctx, run.book, run.first.Name, second.Name)
		Eventually(singletonStatus).WithContext(ctx).WithArguments(renamed).
			Should(HaveField("ActivePodUID", second.UID))
	})
})

var _ = Describe("An adopted running workload whose old pod is force-deleted", func() {
	It("keeps the old pod's object until its application stopped, and only then releases the new pod", func(ctx SpecContext) {
		book := startLedger()
		ns := newRestrictedNamespace(ctx)
		// The application stops at once on SIGTERM: a force delete gives it the kubelet's
		// minimum grace period of 2 s only.
		d := deployment(ns, "db", restrictedContainer("app", "sh", "-c", reportingScript(book.URL)))
		Expect(k8s.Create(ctx, d)).To(Succeed())
		first := waitForOnlyPodReady(ctx, ns, "db", "")
		Eventually(book.Runs).WithContext(ctx).Should(ConsistOf(HaveField("Pod", first.Name)))

		By("adopting it: the running pod gets the finalizer")
		ss := createSingleton(ctx, ns, "db")
		Eventually(func(g Gomega) {
			pod := &corev1.Pod{}
			g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(&first), pod)).To(Succeed())
			g.Expect(controllerutil.ContainsFinalizer(pod, singletonv1.FinalizerRelease)).To(BeTrue())
		}).WithContext(ctx).Should(Succeed())

		By("rolling out, then force-deleting the old pod (grace period 0) before the operator stops it")
		restartRollout(ctx, d)
		Expect(k8s.Delete(ctx, &first, client.GracePeriodSeconds(0))).To(Succeed())
		released := waitForReleaseAfterStop(ctx, ns, "db", first.UID)
		second := waitForOnlyPodReady(ctx, ns, "db", first.UID)
		Expect(second.Name).To(Equal(released))
		expectRunsInTurn(ctx, book, first.Name, second.Name)
		Eventually(degradedCondition).WithContext(ctx).WithArguments(ss).
			Should(HaveField("Status", metav1.ConditionFalse))
	})
})

var _ = Describe("A released pod relabelled out of the selector", func() {
	It("still holds its replacement until it stopped, and is let go then", func(ctx SpecContext) {
		run := startSlowStopRun(ctx)

		By("relabelling the released pod out of app=db (its ReplicaSet lets it go and makes a replacement)")
		pod := run.first.DeepCopy()
		patch := client.MergeFrom(pod.DeepCopy())
		pod.Labels["app"] = "db-debug"
		Expect(k8s.Patch(ctx, pod, patch)).To(Succeed())

		By("releasing the replacement only once the relabelled pod's application stopped")
		released := waitForReleaseAfterStop(ctx, run.ns, "db", run.first.UID)
		second := waitForOnlyPodReady(ctx, run.ns, "db", run.first.UID)
		Expect(second.Name).To(Equal(released))
		expectRunsInTurn(ctx, run.book, run.first.Name, second.Name)
		Eventually(func() error { return k8s.Get(ctx, client.ObjectKeyFromObject(pod), &corev1.Pod{}) }).
			WithContext(ctx).Should(MatchError(ContainSubstring("not found")), "the relabelled pod was let go")
	})
})

var _ = Describe("Pods the gate must not break", func() {
	It("starts a pod that runs as root as it did before", func(ctx SpecContext) {
		book := startLedger()
		ns := newBaselineNamespace(ctx)
		createSingleton(ctx, ns, "db")
		app := corev1.Container{Name: "app", Image: busyboxImage, ImagePullPolicy: corev1.PullIfNotPresent,
			Command: []string{"sh", "-c", `[ "$(id -u)" = 0 ] || exit 3; ` + reportingScript(book.URL)}}
		d := deployment(ns, "db", app)
		d.Spec.Template.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](0)}
		Expect(k8s.Create(ctx, d)).To(Succeed())
		first := waitForOnlyPodReady(ctx, ns, "db", "")
		Eventually(book.Runs).WithContext(ctx).Should(ConsistOf(HaveField("Pod", first.Name)), "the application ran as root")
	})

	It("starts a pod in a namespace whose quota covers limits.cpu", func(ctx SpecContext) {
		book := startLedger()
		ns := newRestrictedNamespace(ctx)
		Expect(k8s.Create(ctx, &corev1.ResourceQuota{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cpu"},
			Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{
				corev1.ResourceLimitsCPU: resource.MustParse("4"), corev1.ResourceLimitsMemory: resource.MustParse("4Gi"),
			}},
		})).To(Succeed())
		createSingleton(ctx, ns, "db")
		app := restrictedContainer("app", "sh", "-c", reportingScript(book.URL))
		app.Resources.Limits = corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("200m"), corev1.ResourceMemory: resource.MustParse("64Mi"),
		}
		Expect(k8s.Create(ctx, deployment(ns, "db", app))).To(Succeed())
		first := waitForOnlyPodReady(ctx, ns, "db", "")
		Eventually(book.Runs).WithContext(ctx).Should(ConsistOf(HaveField("Pod", first.Name)))
	})
})

// newBaselineNamespace creates a namespace that enforces only the baseline Pod Security
// Standard, which admits pods running as root, and deletes it after the test.
func newBaselineNamespace(ctx context.Context) string {
	GinkgoHelper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		GenerateName: "e2e-root-",
		Labels:       map[string]string{"pod-security.kubernetes.io/enforce": "baseline"},
	}}
	Expect(k8s.Create(ctx, ns)).To(Succeed())
	DeferCleanup(func(ctx SpecContext) { Expect(client.IgnoreNotFound(k8s.Delete(ctx, ns))).To(Succeed()) })
	return ns.Name
}
