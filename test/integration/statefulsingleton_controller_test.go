package integration

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
)

// There is no kubelet here: the tests play its part by writing pod status, and the webhook's
// by marking pods as prepared.
var _ = Describe("The StatefulSingleton reconciler", func() {
	var (
		ns   string
		ss   *singletonv1.StatefulSingleton
		node = "node-1"
	)
	BeforeEach(func(ctx SpecContext) { ns, ss = newDBSingleton(ctx, node) })

	It("reports that nothing is selected, with the spec's generation", func(ctx SpecContext) {
		Eventually(condition).WithContext(ctx).WithArguments(ss, singletonv1.ConditionReady).Should(SatisfyAll(
			HaveField("Status", metav1.ConditionFalse),
			HaveField("Reason", singletonv1.ReasonNoPods),
			HaveField("ObservedGeneration", int64(1)),
		))

		patch := client.MergeFrom(ss.DeepCopy())
		ss.Spec.MaxTransitionTime = 60
		Expect(k8s.Patch(ctx, ss, patch)).To(Succeed())
		Eventually(singletonStatus).WithContext(ctx).WithArguments(ss).
			Should(HaveField("ObservedGeneration", int64(2)))
	})

	It("never takes a pod that escaped the webhook for stopped, and holds the others (S3)", func(ctx SpecContext) {
		escaped := createPod(ctx, ns, "escaped", node, false)
		Eventually(condition).WithContext(ctx).WithArguments(ss, singletonv1.ConditionDegraded).Should(SatisfyAll(
			HaveField("Status", metav1.ConditionTrue),
			HaveField("Reason", singletonv1.ReasonUnguardedPods),
			HaveField("Message", ContainSubstring("escaped")),
		))

		Eventually(func(g Gomega) {
			list := &eventsv1.EventList{}
			g.Expect(k8s.List(ctx, list, client.InNamespace(ns))).To(Succeed())
			g.Expect(list.Items).To(ContainElement(SatisfyAll(
				HaveField("Type", corev1.EventTypeWarning),
				HaveField("Reason", singletonv1.ReasonUnguardedPods),
				HaveField("Regarding.Name", ss.Name),
			)))
		}).WithContext(ctx).Should(Succeed(), "a Warning event names the risk")

		prepared := createPod(ctx, ns, "prepared", node, true)
		setContainerState(ctx, prepared, corev1.ContainerState{Running: &corev1.ContainerStateRunning{}})
		By("asking the older, unguarded pod to stop once the prepared one is armed, and keeping it held")
		Eventually(getPod).WithContext(ctx).WithArguments(escaped).Should(HaveField("DeletionTimestamp", Not(BeNil())))
		Consistently(getPod).WithContext(ctx).WithArguments(prepared).
			WithTimeout(time.Second).Should(HaveField("Annotations", Not(HaveKey(singletonv1.AnnotationRelease))))
	})

	It("hands over from one prepared pod to the next, only once the old one is confirmed stopped (S1)",
		func(ctx SpecContext) {
			By("releasing the first pod at once, recording it in the status first")
			first := createPod(ctx, ns, "first", node, true)
			Eventually(getPod).WithContext(ctx).WithArguments(first).Should(beReleased(first))
			Eventually(singletonStatus).WithContext(ctx).WithArguments(ss).Should(SatisfyAll(
				HaveField("ActivePod", "first"), HaveField("Phase", singletonv1.PhaseRunning)))

			By("keeping the first pod running while the newer one starts up")
			second := createPod(ctx, ns, "second", node, true)
			Eventually(singletonStatus).WithContext(ctx).WithArguments(ss).Should(HaveField("HeldPods", int32(1)))
			Consistently(getPod).WithContext(ctx).WithArguments(first).
				WithTimeout(time.Second).Should(HaveField("DeletionTimestamp", BeNil()))

			By("asking the first pod to stop once the newer one is armed (its gate runs)")
			setContainerState(ctx, second, corev1.ContainerState{Running: &corev1.ContainerStateRunning{}})
			Eventually(getPod).WithContext(ctx).WithArguments(first).Should(HaveField("DeletionTimestamp", Not(BeNil())))
			Eventually(singletonStatus).WithContext(ctx).WithArguments(ss).Should(SatisfyAll(
				HaveField("Phase", singletonv1.PhaseTransitioning), HaveField("HeldPods", int32(1))))

			By("holding the second pod while the first one's container still runs")
			setContainerState(ctx, first, corev1.ContainerState{Running: &corev1.ContainerStateRunning{}})
			Consistently(getPod).WithContext(ctx).WithArguments(second).
				WithTimeout(time.Second).Should(Not(beReleased(second)))

			By("holding it still while the first one's container is reported terminated in a Running pod")
			setContainerState(ctx, first, corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 1, FinishedAt: metav1.Now(),
			}})
			Consistently(getPod).WithContext(ctx).WithArguments(second).WithTimeout(time.Second).
				Should(Not(beReleased(second)), "that report may predate the deletion: the kubelet restarts crashed containers")

			By("releasing the second pod on the watch event of the kubelet's final status of the first one")
			reportKilled(ctx, first)
			Eventually(getPod).WithContext(ctx).WithArguments(second).Should(beReleased(second))
			Eventually(getPod).WithContext(ctx).WithArguments(first).
				Should(HaveField("Finalizers", Not(ContainElement(singletonv1.FinalizerRelease))))

			By("recording the hand-over once the second pod is ready")
			Eventually(singletonStatus).WithContext(ctx).WithArguments(ss).Should(SatisfyAll(
				HaveField("ActivePod", "second"),
				HaveField("Phase", singletonv1.PhaseRunning),
				HaveField("LastTransition.From", "first"),
				HaveField("LastTransition.To", "second"),
				HaveField("LastTransition.HandoverGap", Not(BeNil())),
			))
		})
})

var _ = Describe("Deleting a StatefulSingleton", func() {
	It("lets the pods it released go: no finalizer of ours is left behind", func(ctx SpecContext) {
		ns, ss := newDBSingleton(ctx, "node-1")
		pod := createPod(ctx, ns, "only", "node-1", true)
		Eventually(getPod).WithContext(ctx).WithArguments(pod).Should(beReleased(pod))

		Expect(k8s.Delete(ctx, ss)).To(Succeed())
		Eventually(getPod).WithContext(ctx).WithArguments(pod).
			Should(HaveField("Finalizers", Not(ContainElement(singletonv1.FinalizerRelease))))
		Eventually(func() error { return k8s.Get(ctx, client.ObjectKeyFromObject(ss), ss) }).
			WithContext(ctx).Should(Satisfy(apierrors.IsNotFound), "the StatefulSingleton is gone")
	})

	It("mid-transition, finishes the hand-over first: no pod left held, none released beside a running one (defect 9)",
		func(ctx SpecContext) {
			ns, ss := newDBSingleton(ctx, "node-1")
			Eventually(func(g Gomega) {
				g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(ss), ss)).To(Succeed())
				g.Expect(ss.Finalizers).To(ContainElement(singletonv1.FinalizerHandBack))
			}).WithContext(ctx).Should(Succeed())
			first := createPod(ctx, ns, "first", "node-1", true)
			Eventually(getPod).WithContext(ctx).WithArguments(first).Should(beReleased(first))
			setContainerState(ctx, first, corev1.ContainerState{Running: &corev1.ContainerStateRunning{}})
			second := createPod(ctx, ns, "second", "node-1", true)
			setContainerState(ctx, second, corev1.ContainerState{Running: &corev1.ContainerStateRunning{}})
			Eventually(getPod).WithContext(ctx).WithArguments(first).Should(HaveField("DeletionTimestamp", Not(BeNil())))

			By("deleting the StatefulSingleton while the first pod still runs")
			Expect(k8s.Delete(ctx, ss)).To(Succeed())
			Consistently(getPod).WithContext(ctx).WithArguments(second).WithTimeout(time.Second).
				Should(Not(beReleased(second)), "the second pod waits for the first one's stop")
			Expect(k8s.Get(ctx, client.ObjectKeyFromObject(ss), ss)).To(Succeed(), "the StatefulSingleton waits too")

			By("reporting the first pod killed")
			reportKilled(ctx, first)
			Eventually(getPod).WithContext(ctx).WithArguments(second).Should(SatisfyAll(
				HaveField("Annotations", HaveKeyWithValue(singletonv1.AnnotationRelease, string(second.UID))),
				HaveField("Status.Conditions", ContainElement(SatisfyAll(
					HaveField("Type", corev1.PodConditionType(singletonv1.ReadinessGate)),
					HaveField("Status", corev1.ConditionTrue)))),
			), "the second pod is released and Ready: nothing is left held")
			Eventually(func() error { return k8s.Get(ctx, client.ObjectKeyFromObject(ss), ss) }).
				WithContext(ctx).Should(Satisfy(apierrors.IsNotFound), "then the StatefulSingleton goes")
			Eventually(getPod).WithContext(ctx).WithArguments(second).
				Should(HaveField("Finalizers", Not(ContainElement(singletonv1.FinalizerRelease))))
		})
})

// newDBSingleton creates, in a new namespace, the StatefulSingleton db selecting app=db, and
// the node its test pods are bound to.
func newDBSingleton(ctx context.Context, node string) (string, *singletonv1.StatefulSingleton) {
	GinkgoHelper()
	ns := newNamespace(ctx)
	ensureNode(ctx, node)
	ss := &singletonv1.StatefulSingleton{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"},
		Spec: singletonv1.StatefulSingletonSpec{
			Selector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
		},
	}
	Expect(k8s.Create(ctx, ss)).To(Succeed())
	return ns, ss
}

func ensureNode(ctx context.Context, name string) {
	err := k8s.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if !apierrors.IsAlreadyExists(err) {
		Expect(err).NotTo(HaveOccurred())
	}
}

// createPod creates a pod selected by the test's StatefulSingleton, bound to a node; prepared
// pods carry what the webhook would add.
func createPod(ctx context.Context, ns, name, node string, prepared bool) *corev1.Pod {
	pod := unpreparedPod(ns, name, node)
	if prepared {
		pod = preparedPod(ns, name, node)
	}
	Expect(k8s.Create(ctx, pod)).To(Succeed())
	return pod
}

// unpreparedPod is a pod selected by app=db, bound to a node, as it is without the webhook.
func unpreparedPod(ns, name, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": "db"}},
		Spec: corev1.PodSpec{
			NodeName:   node,
			Containers: []corev1.Container{{Name: "app", Image: "localhost/busybox:1.35", Command: []string{"/bin/db"}}},
		},
	}
}

// preparedPod is a pod selected by app=db, prepared as the webhook prepares it.
func preparedPod(ns, name, node string) *corev1.Pod {
	pod := unpreparedPod(ns, name, node)
	Expect(podwebhook.Inject(pod, podwebhook.InjectOptions{Singleton: "db", GateImage: itGateImage})).To(Succeed())
	return pod
}

// initContainersDone reports the pod's init containers (the gate's installer) completed, as
// they are once its main containers run.
func initContainersDone(pod *corev1.Pod) []corev1.ContainerStatus {
	statuses := make([]corev1.ContainerStatus, 0, len(pod.Spec.InitContainers))
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		statuses = append(statuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}})
	}
	return statuses
}

// reportKilled writes what a kubelet writes once it has killed a pod whose deletion was
// requested: its container terminated and, in the same status, a terminal phase.
func reportKilled(ctx context.Context, pod *corev1.Pod) {
	Eventually(func(g Gomega) {
		current := getPodOrFail(ctx, g, pod)
		current.Status.Phase = corev1.PodFailed
		current.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Image: "localhost/busybox:1.35",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, FinishedAt: metav1.Now()}}}}
		g.Expect(k8s.Status().Update(ctx, current)).To(Succeed())
	}).WithContext(ctx).Should(Succeed())
}

// setContainerState reports the pod's one container in a state, as the kubelet would.
func setContainerState(ctx context.Context, pod *corev1.Pod, state corev1.ContainerState) {
	Eventually(func(g Gomega) {
		current := getPodOrFail(ctx, g, pod)
		current.Status.InitContainerStatuses = initContainersDone(current)
		current.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Image: "localhost/busybox:1.35", State: state}}
		g.Expect(k8s.Status().Update(ctx, current)).To(Succeed())
	}).WithContext(ctx).Should(Succeed())
}

func getPodOrFail(ctx context.Context, g Gomega, pod *corev1.Pod) *corev1.Pod {
	current := &corev1.Pod{}
	g.Expect(k8s.Get(ctx, keyOf(pod), current)).To(Succeed())
	return current
}

func getPod(ctx context.Context, pod *corev1.Pod) (*corev1.Pod, error) {
	current := &corev1.Pod{}
	return current, k8s.Get(ctx, keyOf(pod), current)
}

// beReleased matches a pod released for its own UID and guarded by the release finalizer.
func beReleased(pod *corev1.Pod) OmegaMatcher {
	return SatisfyAll(
		HaveField("Annotations", HaveKeyWithValue(singletonv1.AnnotationRelease, string(pod.UID))),
		WithTransform(func(p *corev1.Pod) bool { return controllerutil.ContainsFinalizer(p, singletonv1.FinalizerRelease) },
			BeTrue()),
	)
}

func singletonStatus(ctx context.Context, ss *singletonv1.StatefulSingleton) (singletonv1.StatefulSingletonStatus, error) {
	got := &singletonv1.StatefulSingleton{}
	err := k8s.Get(ctx, keyOf(ss), got)
	return got.Status, err
}

// condition reads one condition of a StatefulSingleton from the API server.
func condition(ctx context.Context, ss *singletonv1.StatefulSingleton, condType string) (*metav1.Condition, error) {
	got := &singletonv1.StatefulSingleton{}
	if err := k8s.Get(ctx, keyOf(ss), got); err != nil {
		return nil, err
	}
	return meta.FindStatusCondition(got.Status.Conditions, condType), nil
}

func keyOf(obj client.Object) client.ObjectKey { return client.ObjectKeyFromObject(obj) }
