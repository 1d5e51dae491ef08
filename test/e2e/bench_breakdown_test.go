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

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// podMoments watches the pods of a namespace and notes, per pod name, when the watch first
// showed every container terminated and when it first showed the pod released: the steps of
// a hand-over between the ledger's stop of the old application and its start of the new one.
type podMoments struct {
	mu         sync.Mutex
	terminated map[string]time.Time
	released   map[string]time.Time
}

func watchPodMoments(ctx context.Context, ns string) *podMoments {
	GinkgoHelper()
	m := &podMoments{terminated: map[string]time.Time{}, released: map[string]time.Time{}}
	w, err := clientset.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(w.Stop)
	go func() {
		for ev := range w.ResultChan() {
			if pod, ok := ev.Object.(*corev1.Pod); ok && ev.Type != watch.Deleted {
				m.note(pod, time.Now())
			}
		}
	}()
	return m
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
// stop -> the new pod's release by the operator (seen by the watch); -> the new application's
// start. ok is false when the release was not seen. report is the old application's stop ->
// the kubelet's report of its containers terminated, which the slow path waits for and the
// fast path need not (it may come after the release, or the pod may be gone before it):
// reported says whether it was seen.
func (m *podMoments) gapParts(old, next interval) (release, start, report time.Duration, reported, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	released, ok := m.released[next.Pod]
	if !ok {
		return 0, 0, 0, false, false
	}
	terminated, reported := m.terminated[old.Pod]
	return released.Sub(old.Stop), next.Start.Sub(released), terminated.Sub(old.Stop), reported, true
}
