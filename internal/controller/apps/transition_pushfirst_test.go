package apps

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// tracked gives a pod the release finalizer.
func tracked(p *podFacts) { p.HasFinalizer = true }

// The release is pushed before its annotation is written only to a pod whose object already
// outlives its application (the release finalizer, read by the decision): the candidate gets
// that finalizer while it waits for the old pod's stop, and loses it again when it is deleted
// before any release.
func TestDecideTransitionPushFirst(t *testing.T) {
	now := t0.Add(time.Hour)
	tests := []struct {
		name        string
		ss          *singletonv1.StatefulSingleton
		pods        []podFacts
		wantTrack   []podRef
		wantRemove  []podRef
		wantRelease *releaseRequest
	}{
		{
			name:      "an armed candidate waiting for the old pod's stop gets the release finalizer",
			ss:        singleton(activePod("old")),
			pods:      []podFacts{fact("old", 0, released, readyGate), fact("new", 10)},
			wantTrack: []podRef{ref("new")},
		},
		{
			name: "a candidate not armed yet does not: the old pod is not asked to stop either",
			ss:   singleton(activePod("old")),
			pods: []podFacts{fact("old", 0, released, readyGate), fact("new", 10, unarmed)},
		},
		{
			name: "a candidate that has it already is not tracked again",
			ss:   singleton(activePod("old"), transitionOldToNew(now.Add(-time.Second))),
			pods: []podFacts{fact("old", 0, released, readyGate, deleting), fact("new", 10, tracked)},
		},
		{
			name: "the old pod stopped: the tracked candidate's release is pushed first",
			ss:   singleton(activePod("old"), transitionOldToNew(now.Add(-2*time.Second))),
			pods: []podFacts{
				fact("old", 0, released, readyGate, deleting, stopped("PodFinished", now.Add(-time.Second))),
				fact("new", 10, tracked),
			},
			wantRelease: &releaseRequest{podRef: ref("new"), Tracked: true},
			wantRemove:  []podRef{ref("old")},
		},
		{
			name:        "the first pod, never tracked: its annotation and finalizer are written before the push",
			ss:          singleton(),
			pods:        []podFacts{fact("a", 0)},
			wantRelease: &releaseRequest{podRef: ref("a")},
		},
		{
			name:        "a status-recorded release re-written to a tracked pod is pushed before the status write",
			ss:          singleton(activePod("a")),
			pods:        []podFacts{fact("a", 0, tracked), fact("b", 10)},
			wantRelease: &releaseRequest{podRef: ref("a"), Tracked: true, Recorded: true},
		},
		{
			// The push took effect and the annotation's patch failed (the pod changed since the
			// decision read it): the pod counts as released, and its annotation is written again.
			// Without it, a gate that the channel cannot reach would wait for ever.
			name: "a release pushed whose annotation was not written is written again",
			ss:   singleton(activePod("new")),
			pods: []podFacts{
				fact("new", 10, tracked, func(p *podFacts) { p.Released = true }),
			},
			wantRelease: &releaseRequest{podRef: ref("new"), Tracked: true, Recorded: true},
		},
		{
			name: "one whose annotation was written and is not in the cache yet is not",
			ss:   singleton(activePod("new")),
			pods: []podFacts{
				fact("new", 10, tracked, func(p *podFacts) { p.Released, p.Annotated = true, true }),
			},
		},
		{
			name:       "a tracked candidate deleted before its release lets its object go: no release can come",
			ss:         singleton(activePod("old")),
			pods:       []podFacts{fact("old", 0, released, readyGate), fact("new", 10, tracked, deleting)},
			wantRemove: []podRef{ref("new")},
		},
		{
			name: "a pod recorded as may run, being deleted and not confirmed stopped, keeps it",
			ss:   singleton(activePod("new")),
			pods: []podFacts{fact("new", 10, tracked, deleting)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			plan := decide(tt.ss, tt.pods, now)
			g.Expect(plan.Track).To(HaveExactElements(elementsOf(tt.wantTrack)...), "finalizers added")
			g.Expect(plan.RemoveFinalizer).To(HaveExactElements(elementsOf(tt.wantRemove)...), "finalizers removed")
			g.Expect(plan.Release).To(Equal(tt.wantRelease))
		})
	}
}

// The pods that may run are listed in one order whatever order the cache lists them in: the
// status of a hand-over lists two (the old pod, the new one recorded ahead), and a list that
// followed the cache's order made a reconcile with nothing new to say write the status again,
// in the tens of milliseconds where the old pod's exit report waits for that reconcile to end.
func TestMayRunRecordsOrder(t *testing.T) {
	g := NewWithT(t)
	now := t0.Add(time.Hour)
	ss := singleton(activePod("old"))
	first := decide(ss, []podFacts{fact("old", 0, released, readyGate), fact("new", 10)}, now)
	g.Expect(first.Stop).To(HaveLen(1), "the old pod is asked to stop, the new one recorded ahead")
	ss.Status = first.Status
	for _, pods := range [][]podFacts{
		{fact("old", 0, released, readyGate), fact("new", 10, tracked)},
		{fact("new", 10, tracked), fact("old", 0, released, readyGate)},
	} {
		again := decide(ss.DeepCopy(), pods, now)
		g.Expect(again.Status.MayRunPods).To(Equal(first.Status.MayRunPods))
	}
}
