package apps

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// releasedAt records in the transition in progress that its new pod was released at t.
func releasedAt(t time.Time) func(*singletonv1.StatefulSingleton) {
	return func(ss *singletonv1.StatefulSingleton) { ss.Status.CurrentTransition.ReleaseTime = ptrTime(t) }
}

func beingDeleted(at time.Time) func(*singletonv1.StatefulSingleton) {
	return func(ss *singletonv1.StatefulSingleton) { ss.DeletionTimestamp = &metav1.Time{Time: at} }
}

// A StatefulSingleton being deleted hands its workload back only when nothing is in flight:
// the transition in progress finishes under the usual rule first, so that no pod is left held
// and no two run at once on the way.
func TestDecideTransitionHandsBackOnlyWhenNothingIsInFlight(t *testing.T) {
	now := t0.Add(time.Hour)
	deleted := beingDeleted(now.Add(-time.Second))
	tests := []struct {
		name         string
		ss           *singletonv1.StatefulSingleton
		pods         []podFacts
		wantHandBack bool
		wantRelease  bool
	}{
		{
			name: "not being deleted: never",
			ss:   singleton(activePod("a")),
			pods: []podFacts{fact("a", 0, released, readyGate)},
		},
		{
			name:         "being deleted, no pod: at once",
			ss:           singleton(deleted),
			wantHandBack: true,
		},
		{
			name:         "being deleted, the released pod runs and is Ready: at once",
			ss:           singleton(deleted, activePod("a")),
			pods:         []podFacts{fact("a", 0, released, readyGate)},
			wantHandBack: true,
		},
		{
			name: "being deleted mid-rollout, the old pod still runs: not yet",
			ss:   singleton(deleted, activePod("old"), transitionOldToNew(now.Add(-10*time.Second))),
			pods: []podFacts{fact("old", 0, released, readyGate, deleting), fact("new", 10)},
		},
		{
			name: "being deleted, the old pod confirmed stopped: the new one is released first",
			ss:   singleton(deleted, activePod("old"), transitionOldToNew(now.Add(-10*time.Second))),
			pods: []podFacts{
				fact("old", 0, released, readyGate, deleting, stopped("PodFinished", now.Add(-time.Second))),
				fact("new", 10),
			},
			wantRelease: true,
		},
		{
			name: "being deleted, the new pod released but not Ready yet: not yet",
			ss: singleton(deleted, activePod("new"), transitionOldToNew(now.Add(-10*time.Second)),
				releasedAt(now.Add(-time.Second))),
			pods: []podFacts{fact("new", 10, released)},
		},
		{
			name: "being deleted, the new pod released and Ready: the transition completes, hand back",
			ss: singleton(deleted, activePod("new"), transitionOldToNew(now.Add(-10*time.Second)),
				releasedAt(now.Add(-time.Second))),
			pods:         []podFacts{fact("new", 10, released, readyGate)},
			wantHandBack: true,
		},
		{
			name: "being deleted, a pod held behind a second replica: not yet",
			ss:   singleton(deleted, activePod("a")),
			pods: []podFacts{
				fact("a", 0, revision(1), twoReplicas, released, readyGate),
				fact("b", 0, revision(1), twoReplicas),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			plan := decide(tt.ss, tt.pods, now)
			g.Expect(plan.HandBack).To(Equal(tt.wantHandBack))
			g.Expect(plan.Release != nil).To(Equal(tt.wantRelease))
		})
	}
}
