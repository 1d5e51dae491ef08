//go:build e2e

package e2e

import (
	"context"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// podMoments watches the pods and StatefulSingletons of a namespace and notes, per pod name,
// when the watch first showed every container terminated, when it first showed the pod's
// release time in a StatefulSingleton's status (the release recorded ahead is pushed to a
// tracked pod's gates before that write; one not recorded ahead right after it) and when it
// first showed the pod released (its annotation): the steps of a hand-over between the ledger's
// stop of the old application and its start of the new one.
type podMoments struct {
	mu         sync.Mutex
	terminated map[string]time.Time
	recorded   map[string]time.Time
	released   map[string]time.Time
}

func watchPodMoments(ctx context.Context, ns string) *podMoments {
	GinkgoHelper()
	m := &podMoments{terminated: map[string]time.Time{}, recorded: map[string]time.Time{}, released: map[string]time.Time{}}
	w, err := clientset.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(w.Stop)
	watcher, err := client.NewWithWatch(cfg, client.Options{Scheme: k8s.Scheme()})
	Expect(err).NotTo(HaveOccurred())
	sw, err := watcher.Watch(ctx, &singletonv1.StatefulSingletonList{}, client.InNamespace(ns))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(sw.Stop)
	go func() {
		for ev := range w.ResultChan() {
			if pod, ok := ev.Object.(*corev1.Pod); ok && ev.Type != watch.Deleted {
				m.note(pod, time.Now())
			}
		}
	}()
	go func() {
		for ev := range sw.ResultChan() {
			if ss, ok := ev.Object.(*singletonv1.StatefulSingleton); ok && ev.Type != watch.Deleted {
				m.noteRecord(ss, time.Now())
			}
		}
	}()
	return m
}

// noteRecord notes when a StatefulSingleton's status first recorded the release time of a
// pod's transition: not when the pod became the active one, which is when its release was
// recorded ahead of the old pod's stop.
func (m *podMoments) noteRecord(ss *singletonv1.StatefulSingleton, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range []*singletonv1.TransitionRecord{ss.Status.CurrentTransition, ss.Status.LastTransition} {
		if t == nil || t.ReleaseTime == nil {
			continue
		}
		if _, seen := m.recorded[t.To]; !seen {
			m.recorded[t.To] = at
		}
	}
}

func (m *podMoments) note(pod *corev1.Pod, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, seen := m.terminated[pod.Name]; !seen && containersTerminated(pod) {
		m.terminated[pod.Name] = at
	}
	if _, seen := m.released[pod.Name]; !seen && pod.Annotations[singletonv1.AnnotationRelease] == string(pod.UID) {
		m.released[pod.Name] = at
	}
}

// gapParts splits the hand-over from the run old to the run next into: the old application's
// stop -> the new pod's release by the operator, the earlier of its record in the status and its
// annotation (seen by the watches); -> the new application's start. ok is false when neither
// was seen. report is the old application's stop ->
// the kubelet's report of its containers terminated, which the slow path waits for and the
// fast path need not (it may come after the release, or the pod may be gone before it):
// reported says whether it was seen.
func (m *podMoments) gapParts(old, next interval) (release, start, report time.Duration, reported, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	released, ok := m.released[next.Pod]
	if recorded, seen := m.recorded[next.Pod]; seen && (!ok || recorded.Before(released)) {
		released, ok = recorded, true
	}
	if !ok {
		return 0, 0, 0, false, false
	}
	terminated, reported := m.terminated[old.Pod]
	return released.Sub(old.Stop), next.Start.Sub(released), terminated.Sub(old.Stop), reported, true
}
