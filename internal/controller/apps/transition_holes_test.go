package apps

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// The scenarios of a hostile review of S1 (docs/design.md): each one released a second pod
// beside a running one, or blocked for ever, before the decision learned it.
func TestDecideTransitionHolds(t *testing.T) {
	now := t0.Add(time.Hour)
	fencedNode := func(v *vanishedPod) { v.Fenced = true }
	tests := []struct {
		name         string
		ss           *singletonv1.StatefulSingleton
		pods         []podFacts
		in           func(*transitionInput)
		wantRelease  *releaseRequest
		wantStop     []stopRequest
		wantTrack    []podRef
		wantRemove   []podRef
		wantDegraded string
		wantHandBack bool
	}{
		{
			name: "renamed: a pod released for a StatefulSingleton now gone still runs, and holds the next",
			ss:   singleton(),
			pods: []podFacts{
				fact("old", 0, released, readyGate, func(p *podFacts) { p.Instance = "a" }),
				fact("new", 10, func(p *podFacts) { p.Instance = "db" }),
			},
			wantStop:  []stopRequest{{podRef: ref("old"), GracePeriodSeconds: 30}},
			wantTrack: []podRef{ref("new")},
		},
		{
			name: "renamed: while the older StatefulSingleton exists, the newer one decides nothing",
			ss:   singleton(),
			pods: []podFacts{fact("old", 0, released, readyGate), fact("new", 10)},
			in: func(in *transitionInput) {
				in.Elder, in.Overlapping = "a", []string{"a"}
			},
			wantDegraded: singletonv1.ReasonYieldsToOlder,
		},
		{
			name:         "StatefulSet name reused: the old db-0 vanished unconfirmed, the new db-0 waits",
			ss:           singleton(activePod("db-0")),
			pods:         []podFacts{fact("db-0", 10, func(p *podFacts) { p.UID = "db-0-second-uid" })},
			wantDegraded: singletonv1.ReasonActivePodVanished,
		},
		{
			name: "StatefulSet name reused: once the old db-0's node is fenced, the new one is released",
			ss:   singleton(activePod("db-0")),
			pods: []podFacts{fact("db-0", 10, func(p *podFacts) { p.UID = "db-0-second-uid" })},
			in: func(in *transitionInput) {
				fencedNode(&in.Vanished[0])
			},
			wantRelease: &releaseRequest{podRef: podRef{Name: "db-0", UID: "db-0-second-uid"}},
		},
		{
			name:         "an adopted pod that may run gets the finalizer, so no force delete hides it",
			ss:           singleton(),
			pods:         []podFacts{fact("adopted", 0, unguarded)},
			wantTrack:    []podRef{ref("adopted")},
			wantDegraded: singletonv1.ReasonUnguardedPods,
		},
		{
			name:        "a release recorded in the status but not yet in the pod cache counts: re-released, nothing else",
			ss:          singleton(activePod("a")),
			pods:        []podFacts{fact("a", 0), fact("b", 10)},
			wantRelease: &releaseRequest{podRef: ref("a"), Recorded: true},
		},
		{
			// Found by the model checker: the release of new was recorded on a stop of old proven
			// by its gate (S6), held in memory only; the operator restarted before writing the
			// release, and old may run again as far as it now knows.
			name: "a release recorded for the new pod while the old one may run again: new waits, and is not asked to stop",
			ss: singleton(activePod("new"), func(ss *singletonv1.StatefulSingleton) {
				ss.Status.CurrentTransition = &singletonv1.TransitionRecord{From: "old", To: "new",
					StartTime: ptrTime(now.Add(-time.Minute)), ReleaseTime: ptrTime(now.Add(-time.Second))}
			}),
			// Not reported as two pods that may run: new still waits in its gate, as a release
			// recorded ahead of the old pod's stop does (a push it may have had rested on old's
			// proven stop).
			pods:      []podFacts{fact("old", 0, released, readyGate, deleting), fact("new", 10)},
			wantTrack: []podRef{ref("new")},
		},
		{
			name: "a release this operator wrote but its cache does not show counts (the ledger)",
			ss:   singleton(),
			pods: []podFacts{
				fact("a", 0, func(p *podFacts) { p.Released, p.Annotated = true, true }),
				fact("b", 10, unarmed),
			},
			wantTrack: []podRef{ref("a")},
		},
		{
			name:         "two pods may run (a forced release): the older one is stopped, and it is reported",
			ss:           singleton(activePod("new")),
			pods:         []podFacts{fact("old", 0, released, readyGate, deleting), fact("new", 10, released)},
			wantDegraded: singletonv1.ReasonMoreThanOneMayRun,
		},
		{
			name:         "two pods may run, neither deleting: the older one is asked to stop",
			ss:           singleton(activePod("new")),
			pods:         []podFacts{fact("old", 0, released, readyGate), fact("new", 10, released, readyGate)},
			wantStop:     []stopRequest{{podRef: ref("old"), GracePeriodSeconds: 30}},
			wantDegraded: singletonv1.ReasonMoreThanOneMayRun,
		},
		{
			name:      "a released pod relabelled out of the selector still holds the next one",
			ss:        singleton(activePod("old")),
			pods:      []podFacts{fact("old", 0, released, readyGate, notSelected), fact("new", 10)},
			wantStop:  []stopRequest{{podRef: ref("old"), GracePeriodSeconds: 30}},
			wantTrack: []podRef{ref("new")},
		},
		{
			name: "a released pod relabelled out of the selector, confirmed stopped: let go, the next released",
			ss:   singleton(activePod("old")),
			pods: []podFacts{
				fact("old", 0, released, readyGate, notSelected, deleting, stopped("PodFinished", now)),
				fact("new", 10),
			},
			wantRelease: &releaseRequest{podRef: ref("new")},
			wantRemove:  []podRef{ref("old")},
		},
		{
			name: "a held pod relabelled out of the selector is never the candidate",
			ss:   singleton(),
			pods: []podFacts{fact("stray", 0, notSelected)},
		},
		{
			name: "a StatefulSingleton that yields, being deleted, hands back at once",
			ss:   singleton(beingDeleted(now.Add(-time.Second))),
			pods: []podFacts{fact("old", 0, released, readyGate), fact("new", 10)},
			in: func(in *transitionInput) {
				in.Elder, in.Overlapping = "a", []string{"a"}
			},
			wantDegraded: singletonv1.ReasonYieldsToOlder,
			wantHandBack: true,
		},
		{
			name:         "a selector that does not parse: nothing released, and said",
			ss:           singleton(),
			pods:         []podFacts{fact("a", 0)},
			in:           func(in *transitionInput) { in.SelectorError = `values: Invalid value: []string{}` },
			wantDegraded: singletonv1.ReasonInvalidSelector,
		},
		{
			name: "hand-back waits for a held pod that is not the candidate (its workload removes it)",
			ss:   singleton(activePod("new"), beingDeleted(now.Add(-time.Second))),
			pods: []podFacts{
				fact("new", 10, revision(2), released, readyGate),
				fact("replacement", 11, revision(1)),
			},
		},
		{
			name:         "hand-back once no pod is held",
			ss:           singleton(activePod("new"), beingDeleted(now.Add(-time.Second))),
			pods:         []podFacts{fact("new", 10, revision(2), released, readyGate)},
			wantHandBack: true,
		},
		{
			name: "hand-back adds no finalizer: it would outlive the StatefulSingleton",
			ss:   singleton(activePod("new"), beingDeleted(now.Add(-time.Second))),
			pods: []podFacts{fact("new", 10, revision(2), readyGate,
				func(p *podFacts) { p.Released, p.Annotated = true, true })},
			wantHandBack: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			in := transitionInput{SS: tt.ss, Pods: tt.pods, Now: now}
			for _, r := range tt.ss.Status.MayRunPods {
				if findUID(tt.pods, r.UID) == nil {
					in.Vanished = append(in.Vanished, vanishedPod{Ref: r})
				}
			}
			for i := range in.Pods {
				in.Pods[i].Recorded = lists(tt.ss, in.Pods[i].UID)
			}
			if tt.in != nil {
				tt.in(&in)
			}

			plan := decideTransition(in)

			g.Expect(plan.Release).To(Equal(tt.wantRelease), "release; message %q", plan.Status.Message)
			g.Expect(plan.Stop).To(Equal(tt.wantStop), "stop")
			g.Expect(plan.Track).To(HaveExactElements(elementsOf(tt.wantTrack)...), "finalizers added")
			g.Expect(plan.RemoveFinalizer).To(Equal(tt.wantRemove), "finalizers removed")
			g.Expect(plan.HandBack).To(Equal(tt.wantHandBack), "hand-back")
			degraded := meta.FindStatusCondition(plan.Status.Conditions, singletonv1.ConditionDegraded)
			if tt.wantDegraded == "" {
				g.Expect(degraded.Status).To(Equal(metav1.ConditionFalse), "degraded: %s", degraded.Message)
			} else {
				g.Expect(degraded.Reason).To(Equal(tt.wantDegraded), degraded.Message)
			}
		})
	}
}

// The status lists every pod that may run by UID and node, before it is released, and drops
// it once its stop is confirmed.
func TestDecideTransitionRecordsThePodsThatMayRun(t *testing.T) {
	g := NewWithT(t)
	now := t0.Add(time.Hour)
	onNode := func(p *podFacts) { p.NodeName = "node-1" }
	ss := singleton()
	plan := decide(ss, []podFacts{fact("a", 0, onNode), fact("escaped", 5, unguarded, onNode)}, now)
	g.Expect(plan.Release).To(BeNil(), "the escaped pod holds the candidate")
	g.Expect(plan.Status.MayRunPods).To(ConsistOf(
		singletonv1.PodReference{Name: "escaped", UID: "escaped-uid", NodeName: "node-1"}))
	ss.Status = plan.Status

	plan = decide(ss, []podFacts{fact("a", 0, onNode), fact("escaped", 5, unguarded, onNode, deleting,
		stopped("PodFinished", now))}, now.Add(time.Second))
	g.Expect(plan.Release).To(Equal(&releaseRequest{podRef: ref("a")}))
	g.Expect(plan.Status.MayRunPods).To(ConsistOf(singletonv1.PodReference{Name: "a", UID: "a-uid", NodeName: "node-1"}),
		"recorded before the release is written; the stopped pod dropped")
	g.Expect(plan.Status.ActivePodUID).To(Equal(types.UID("a-uid")))
}

// Ready says what is known: a released pod whose application crash-loops does not run it.
func TestDecideTransitionReadyOnlyWhileTheApplicationRuns(t *testing.T) {
	g := NewWithT(t)
	ss := singleton(activePod("a"))
	crashLooping := func(p *podFacts) { p.AppRunning = false }
	plan := decide(ss, []podFacts{fact("a", 0, released, readyGate, crashLooping)}, t0.Add(time.Hour))
	ready := meta.FindStatusCondition(plan.Status.Conditions, singletonv1.ConditionReady)
	g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(ready.Reason).To(Equal(singletonv1.ReasonApplicationNotRunning))
}

// observe pins facts by UID and counts the operator's own releases its cache has not shown.
func TestObserve(t *testing.T) {
	g := NewWithT(t)
	ss := singleton(activePod("db-0"))
	ss.UID = "ss-uid"
	newPod := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "db-0", UID: "db-0-second-uid", Labels: map[string]string{"app": "db"}}}
	older := singletonv1.StatefulSingleton{ObjectMeta: metav1.ObjectMeta{
		Name: "a", UID: "a-uid", CreationTimestamp: metav1.NewTime(t0.Add(-time.Hour)),
	}, Spec: singletonv1.StatefulSingletonSpec{Selector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}}}
	ss.CreationTimestamp = metav1.NewTime(t0)

	in := observe(observation{
		SS: ss, Selected: []corev1.Pod{newPod}, Nodes: map[string]nodeFacts{"node-1": {Exists: true}},
		Others:    []singletonv1.StatefulSingleton{*ss, older},
		Releasing: func(uid types.UID) (pushedRelease, bool) { return pushedRelease{}, uid == "db-0-second-uid" },
		Now:       t0,
	})
	g.Expect(in.Vanished).To(ConsistOf(vanishedPod{Ref: ss.Status.MayRunPods[0]}), "same name, another UID")
	g.Expect(in.Pods).To(HaveLen(1))
	g.Expect(in.Pods[0].Released).To(BeTrue(), "released by this operator, not yet in the cache")
	g.Expect(in.Pods[0].Annotated).To(BeFalse(), "pushed, its annotation not written")
	g.Expect(in.Elder).To(Equal("a"))
	g.Expect(in.Overlapping).To(Equal([]string{"a"}))

	ss.Annotations = map[string]string{singletonv1.AnnotationConfirmedStopped: "other, db-0-uid"}
	in = observe(observation{SS: ss, Selected: []corev1.Pod{newPod}, Nodes: map[string]nodeFacts{"node-1": {Exists: true}}})
	g.Expect(in.Vanished).To(ConsistOf(vanishedPod{Ref: ss.Status.MayRunPods[0], Fenced: true}),
		"a person confirmed the vanished pod stopped")
}

func elementsOf(refs []podRef) []any {
	out := make([]any, 0, len(refs))
	for _, r := range refs {
		out = append(out, r)
	}
	return out
}
