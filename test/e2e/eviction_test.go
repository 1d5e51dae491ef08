//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

var _ = Describe("The eviction API on the released pod of a Deployment", func() {
	It("holds the replacement until the evicted pod's containers are terminated, with a failed pod lying around", func(ctx SpecContext) {
		book := startLedger()
		ns := newRestrictedNamespace(ctx)
		createSingleton(ctx, ns, "db")

		By("leaving a failed (evicted-like) pod of the same selector lying around (docs/design.md, predecessor defect 2)")
		failed := failedPod(ctx, ns, "db")

		// The application takes 2 s to stop after SIGTERM, so that the replacement exists while
		// the evicted pod still runs.
		app := restrictedContainer("app", "sh", "-c", slowStopScript(book.URL))
		d := deployment(ns, "db", app)
		Expect(k8s.Create(ctx, d)).To(Succeed())
		first := waitForOnlyRunningPodReady(ctx, ns, "")
		Eventually(book.Runs).WithContext(ctx).Should(ConsistOf(HaveField("Pod", first.Name)),
			"the application started once")

		By("evicting the released pod through the eviction API (policy/v1)")
		Expect(clientset.PolicyV1().Evictions(ns).Evict(ctx, &policyv1.Eviction{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: first.Name},
		})).To(Succeed())

		By("waiting for the replacement's release, checking at each look that the evicted pod is confirmed stopped by then")
		replacement := waitForReleaseAfterStop(ctx, ns, "db", first.UID, failed)
		second := waitForOnlyRunningPodReady(ctx, ns, first.Name)
		Expect(second.Name).To(Equal(replacement))

		By("checking the failed pod was left as it was")
		got := &corev1.Pod{}
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "db-failed"}, got)).To(Succeed())
		Expect(got.Status.Phase).To(Equal(corev1.PodFailed))

		By("checking the ledger: one run per pod, in turn, never two at once")
		expectRunsInTurn(ctx, book, first.Name, second.Name)
	})
})

var _ = Describe("Deleting the released pod of a Deployment (kubectl delete pod)", func() {
	It("holds the replacement until the deleted pod's containers are terminated, with no overlap", func(ctx SpecContext) {
		run := startSlowStopRun(ctx)

		By("deleting the released pod with its own grace period; its ReplicaSet replaces it at once")
		Expect(k8s.Delete(ctx, &run.first)).To(Succeed())
		replacement := waitForReleaseAfterStop(ctx, run.ns, "db", run.first.UID)
		second := waitForOnlyPodReady(ctx, run.ns, "db", run.first.UID)
		Expect(second.Name).To(Equal(replacement))
		expectRunsInTurn(ctx, run.book, run.first.Name, second.Name)
	})
})

// waitForReleaseAfterStop waits until one pod app=<app>, other than old and the ignored ones,
// carries its release, and returns its name. A pod released while the pod old (wherever its labels
// went) still exists with a container the kubelet does not report terminated must have been
// released on the word of old's gates (the fast hand-over, docs/design.md S6): the operator then
// tells it with a StopReportedByGate event naming old, which the event recorder may write a moment
// after the release; without one the spec fails.
func waitForReleaseAfterStop(ctx context.Context, ns, app string, old types.UID, ignore ...types.UID) string {
	GinkgoHelper()
	var name, beforeKubelet string
	Eventually(func(g Gomega) {
		pods := &corev1.PodList{}
		g.Expect(k8s.List(ctx, pods, client.InNamespace(ns))).To(Succeed())
		var oldPod *corev1.Pod
		var released []string
		for i := range pods.Items {
			p := &pods.Items[i]
			switch {
			case p.UID == old:
				oldPod = p
			case p.Labels["app"] == app && !slices.Contains(ignore, p.UID) &&
				p.Annotations[singletonv1.AnnotationRelease] == string(p.UID):
				released = append(released, p.Name)
			}
		}
		if len(released) > 0 && oldPod != nil && !containersTerminated(oldPod) {
			beforeKubelet = oldPod.Name
		}
		g.Expect(released).To(HaveLen(1), "one pod other than %s is released", old)
		name = released[0]
	}).WithContext(ctx).Should(Succeed())
	if beforeKubelet != "" {
		Eventually(gateStops).WithContext(ctx).WithArguments(ns, beforeKubelet).WithTimeout(10*time.Second).
			ShouldNot(BeEmpty(), "%s was released while %s still ran a container, and not on its gates' word", name, beforeKubelet)
	}
	return name
}

// gateStops returns the notes of the StopReportedByGate events of a namespace that name pod.
func gateStops(ctx context.Context, ns, pod string) ([]string, error) {
	events, err := gateStopEvents(ctx, ns)
	var notes []string
	for i := range events {
		if strings.Contains(events[i].Note, "Pod "+pod+" confirmed stopped") {
			notes = append(notes, events[i].Note)
		}
	}
	return notes, err
}

// slowStopScript is reportingScript whose application takes 2 s to stop after SIGTERM.
func slowStopScript(ledgerURL string) string {
	return fmt.Sprintf(`%s
trap 'sleep 2; %s; exit 0' TERM
while true; do sleep 3600 & wait $!; done`, report(ledgerURL, "$HOSTNAME", "start"), report(ledgerURL, "$HOSTNAME", "stop"))
}

// failedPod creates a bare pod named <app>-failed that exits 1 with restartPolicy Never, waits
// for its phase Failed, as an evicted pod is left, then labels it app=<app>, and returns its
// UID. It is created with another label, so that no StatefulSingleton selects it at CREATE and
// the webhook leaves it unprepared (a selected pod it cannot prepare would be refused).
func failedPod(ctx context.Context, ns, app string) types.UID {
	GinkgoHelper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns,
			Name:      app + "-failed",
			Labels:    map[string]string{"app": app + "-not-yet"},
		},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: ptr.To[int64](1),
			Containers:                    []corev1.Container{restrictedContainer("app", "sh", "-c", "exit 1")},
		},
	}
	Expect(k8s.Create(ctx, pod)).To(Succeed())
	Eventually(func(g Gomega) {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(pod), pod)).To(Succeed())
		g.Expect(pod.Status.Phase).To(Equal(corev1.PodFailed))
	}).WithContext(ctx).Should(Succeed(), "the pod %s fails", pod.Name)
	Expect(pod.Labels).NotTo(HaveKey(singletonv1.LabelManaged))
	patch := client.MergeFrom(pod.DeepCopy())
	pod.Labels["app"] = app
	Expect(k8s.Patch(ctx, pod, patch)).To(Succeed())
	return pod.UID
}

// waitForOnlyRunningPodReady waits until app=db selects exactly one pod not in a terminal phase,
// not named notName, and it is Ready, and returns it.
func waitForOnlyRunningPodReady(ctx context.Context, ns, notName string) corev1.Pod {
	GinkgoHelper()
	var pod corev1.Pod
	Eventually(func(g Gomega) {
		pods := &corev1.PodList{}
		g.Expect(k8s.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{"app": "db"})).To(Succeed())
		var live []corev1.Pod
		for i := range pods.Items {
			if phase := pods.Items[i].Status.Phase; phase != corev1.PodFailed && phase != corev1.PodSucceeded {
				live = append(live, pods.Items[i])
			}
		}
		g.Expect(live).To(HaveLen(1))
		pod = live[0]
		g.Expect(pod.Name).NotTo(Equal(notName))
		g.Expect(pod.Status.Conditions).To(ContainElement(SatisfyAll(
			HaveField("Type", corev1.PodReady), HaveField("Status", corev1.ConditionTrue))))
	}).WithContext(ctx).Should(Succeed(), "one Ready pod app=db other than %q", notName)
	return pod
}

// containersTerminated reports whether the kubelet reports every container of the pod as
// terminated.
func containersTerminated(pod *corev1.Pod) bool {
	statuses := append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
	if len(statuses) < len(pod.Spec.InitContainers)+len(pod.Spec.Containers) {
		return false
	}
	for i := range statuses {
		if statuses[i].State.Terminated == nil {
			return false
		}
	}
	return true
}
