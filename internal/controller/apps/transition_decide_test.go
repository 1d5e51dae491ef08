package apps

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// fact builds podFacts for a pod created at t0 plus the given seconds, guarded by default.
func fact(name string, createdAfter int, opts ...func(*podFacts)) podFacts {
	p := podFacts{
		Name: name, UID: types.UID(name + "-uid"), Created: t0.Add(time.Duration(createdAfter) * time.Second),
		Selected: true, Guarded: true, Armed: true, AppRunning: true, GracePeriod: 30, Owner: "Deployment/db",
	}
	for _, o := range opts {
		o(&p)
	}
	return p
}

func unarmed(p *podFacts) { p.Armed = false }
func armedAt(t time.Time) func(*podFacts) {
	return func(p *podFacts) { p.ArmedAt = t }
}
func released(p *podFacts)  { p.Released, p.Annotated, p.HasFinalizer = true, true, true }
func readyGate(p *podFacts) { p.ReadyGate = true }
func deleting(p *podFacts)  { p.Deleting = true }
func unguarded(p *podFacts) { p.Guarded = false }
func stopped(reason string, at time.Time) func(*podFacts) {
	return func(p *podFacts) { p.Stopped, p.StopReason, p.StoppedAt = true, reason, at }
}
func grace(s int64) func(*podFacts)    { return func(p *podFacts) { p.GracePeriod = s } }
func owner(o string) func(*podFacts)   { return func(p *podFacts) { p.Owner = o } }
func revision(r int64) func(*podFacts) { return func(p *podFacts) { p.Revision = r } }
func twoReplicas(p *podFacts)          { p.OwnerReplicas = 2 }
func notSelected(p *podFacts)          { p.Selected = false }

func singleton(mutate ...func(*singletonv1.StatefulSingleton)) *singletonv1.StatefulSingleton {
	ss := &singletonv1.StatefulSingleton{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Generation: 2},
		Spec: singletonv1.StatefulSingletonSpec{
			TerminationGracePeriod: 30, MaxTransitionTime: 300, RespectPodGracePeriod: ptr.To(true),
			TimeoutAction: singletonv1.TimeoutActionHold,
		},
	}
	for _, m := range mutate {
		m(ss)
	}
	return ss
}

// activePod records the pod as released in the status, by name and UID, and as may run.
func activePod(name string) func(*singletonv1.StatefulSingleton) {
	return func(ss *singletonv1.StatefulSingleton) {
		ss.Status.ActivePod, ss.Status.ActivePodUID = name, types.UID(name+"-uid")
		ss.Status.MayRunPods = append(ss.Status.MayRunPods,
			singletonv1.PodReference{Name: name, UID: types.UID(name + "-uid"), NodeName: "node-1"})
	}
}

// decide runs decideTransition on the pods as gather and observe would give them: a pod the
// status lists as may run that is not among them has vanished, on a node not fenced.
func decide(ss *singletonv1.StatefulSingleton, pods []podFacts, now time.Time) transitionPlan {
	in := transitionInput{SS: ss, Pods: pods, Now: now}
	for _, ref := range ss.Status.MayRunPods {
		if findUID(pods, ref.UID) == nil {
			in.Vanished = append(in.Vanished, vanishedPod{Ref: ref})
		}
	}
	for i := range in.Pods {
		in.Pods[i].Recorded = lists(ss, in.Pods[i].UID)
	}
	return decideTransition(in)
}

func transitionOldToNew(started time.Time) func(*singletonv1.StatefulSingleton) {
	return func(ss *singletonv1.StatefulSingleton) {
		ss.Status.CurrentTransition = &singletonv1.TransitionRecord{From: "old", To: "new", StartTime: ptrTime(started)}
	}
}

func ref(name string) podRef { return podRef{Name: name, UID: types.UID(name + "-uid")} }

func TestDecideTransition(t *testing.T) {
	now := t0.Add(time.Hour)
	tests := []struct {
		name            string
		ss              *singletonv1.StatefulSingleton
		pods            []podFacts
		wantRelease     *releaseRequest
		wantStop        []stopRequest
		wantRemoveFinal []podRef
		wantMarkReady   []podRef
		wantPhase       singletonv1.Phase
		wantActive      string
		wantHeld        int32
		wantDegraded    string
	}{
		{
			name:      "no pod: nothing to do",
			ss:        singleton(),
			wantPhase: singletonv1.PhasePending,
		},
		{
			name:        "the first prepared pod is released at once",
			ss:          singleton(),
			pods:        []podFacts{fact("a", 0)},
			wantRelease: &releaseRequest{podRef: ref("a")},
			wantPhase:   singletonv1.PhaseTransitioning,
			wantActive:  "a",
		},
		{
			name:          "a released pod gets its readiness gate",
			ss:            singleton(activePod("a")),
			pods:          []podFacts{fact("a", 0, released)},
			wantMarkReady: []podRef{ref("a")},
			wantPhase:     singletonv1.PhaseRunning,
			wantActive:    "a",
		},
		{
			name:       "rollout: the old pod is asked to stop, the new one waits",
			ss:         singleton(activePod("old")),
			pods:       []podFacts{fact("old", 0, released, readyGate), fact("new", 10)},
			wantStop:   []stopRequest{{podRef: ref("old"), GracePeriodSeconds: 30}},
			wantPhase:  singletonv1.PhaseTransitioning,
			wantActive: "new", // recorded ahead of the stop
			wantHeld:   1,
		},
		{
			name:       "rollout: the old pod keeps running until the new one is armed",
			ss:         singleton(activePod("old")),
			pods:       []podFacts{fact("old", 0, released, readyGate), fact("new", 10, unarmed)},
			wantPhase:  singletonv1.PhaseTransitioning,
			wantActive: "old",
			wantHeld:   1,
		},
		{
			name:       "rollout: the new pod armed less than armSettle ago: the old one keeps running",
			ss:         singleton(activePod("old")),
			pods:       []podFacts{fact("old", 0, released, readyGate), fact("new", 10, armedAt(now.Add(-time.Second)))},
			wantPhase:  singletonv1.PhaseTransitioning,
			wantActive: "old",
			wantHeld:   1,
		},
		{
			name:       "rollout: the old pod stops, its containers still run: keep waiting, ask nothing twice",
			ss:         singleton(activePod("old"), transitionOldToNew(now.Add(-time.Second))),
			pods:       []podFacts{fact("old", 0, released, readyGate, deleting), fact("new", 10)},
			wantPhase:  singletonv1.PhaseTransitioning,
			wantActive: "new", // recorded ahead of the stop
			wantHeld:   1,
		},
		{
			name: "rollout: the old pod's containers all terminated: release the new one, let the old object go",
			ss:   singleton(activePod("old"), transitionOldToNew(now.Add(-2*time.Second))),
			pods: []podFacts{
				fact("old", 0, released, readyGate, deleting, stopped("PodFinished", now.Add(-time.Second))),
				fact("new", 10),
			},
			wantRelease:     &releaseRequest{podRef: ref("new")},
			wantRemoveFinal: []podRef{ref("old")},
			wantPhase:       singletonv1.PhaseTransitioning,
			wantActive:      "new",
		},
		{
			name:       "defect 1: a crash-looping old pod is not stopped; it is asked to stop",
			ss:         singleton(activePod("old")),
			pods:       []podFacts{fact("old", 0, released, readyGate), fact("new", 10)},
			wantStop:   []stopRequest{{podRef: ref("old"), GracePeriodSeconds: 30}},
			wantPhase:  singletonv1.PhaseTransitioning,
			wantActive: "new", // recorded ahead of the stop
			wantHeld:   1,
		},
		{
			name: "defect 2: an evicted pod lying around does not hide the running one",
			ss:   singleton(activePod("current")),
			pods: []podFacts{
				fact("evicted", 0, released, stopped("PodFinished", t0)),
				fact("current", 5, released, readyGate),
				fact("new", 10),
			},
			wantStop:        []stopRequest{{podRef: ref("current"), GracePeriodSeconds: 30}},
			wantRemoveFinal: []podRef{ref("evicted")},
			wantPhase:       singletonv1.PhaseTransitioning,
			wantActive:      "new", // recorded ahead of the stop
			wantHeld:        1,
		},
		{
			name:         "defects 3 and 4: a pod that escaped the webhook holds every candidate and is asked to stop",
			ss:           singleton(),
			pods:         []podFacts{fact("adopted", 0, unguarded), fact("new", 10)},
			wantStop:     []stopRequest{{podRef: ref("adopted"), GracePeriodSeconds: 30}},
			wantPhase:    singletonv1.PhaseFailed,
			wantActive:   "new", // recorded ahead of the stop
			wantHeld:     1,
			wantDegraded: singletonv1.ReasonUnguardedPods,
		},
		{
			name:         "an unguarded pod newer than the candidate is not stopped; the candidate waits",
			ss:           singleton(),
			pods:         []podFacts{fact("held", 0), fact("escaped", 10, unguarded)},
			wantPhase:    singletonv1.PhaseFailed,
			wantHeld:     1,
			wantDegraded: singletonv1.ReasonUnguardedPods,
		},
		{
			name:       "defect 5: a force-deleted pod on an unreachable node keeps the new one held",
			ss:         singleton(activePod("old"), transitionOldToNew(now.Add(-time.Minute))),
			pods:       []podFacts{fact("old", 0, released, readyGate, deleting), fact("new", 10)},
			wantPhase:  singletonv1.PhaseTransitioning,
			wantActive: "new", // recorded ahead of the stop
			wantHeld:   1,
		},
		{
			name: "defect 5: once the node is fenced, the new pod is released",
			ss:   singleton(activePod("old"), transitionOldToNew(now.Add(-time.Minute))),
			pods: []podFacts{
				fact("old", 0, released, readyGate, deleting, stopped("NodeOutOfService", time.Time{})),
				fact("new", 10),
			},
			wantRelease:     &releaseRequest{podRef: ref("new")},
			wantRemoveFinal: []podRef{ref("old")},
			wantPhase:       singletonv1.PhaseTransitioning,
			wantActive:      "new",
		},
		{
			name:         "the released pod vanished unconfirmed: hold",
			ss:           singleton(activePod("gone")),
			pods:         []podFacts{fact("new", 10)},
			wantPhase:    singletonv1.PhaseFailed,
			wantActive:   "new", // recorded ahead of the stop
			wantHeld:     1,
			wantDegraded: singletonv1.ReasonActivePodVanished,
		},
		{
			name:         "overdue with timeoutAction Hold: keep holding, say so",
			ss:           singleton(activePod("old"), transitionOldToNew(now.Add(-301*time.Second))),
			pods:         []podFacts{fact("old", 0, released, readyGate, deleting), fact("new", 10)},
			wantPhase:    singletonv1.PhaseTransitioning,
			wantActive:   "new", // recorded ahead of the stop
			wantHeld:     1,
			wantDegraded: singletonv1.ReasonTransitionOverdue,
		},
		{
			name: "overdue with timeoutAction Release: release, forced",
			ss: singleton(activePod("old"), transitionOldToNew(now.Add(-301*time.Second)),
				func(ss *singletonv1.StatefulSingleton) { ss.Spec.TimeoutAction = singletonv1.TimeoutActionRelease }),
			pods:         []podFacts{fact("old", 0, released, readyGate, deleting), fact("new", 10)},
			wantRelease:  &releaseRequest{podRef: ref("new"), Forced: true},
			wantPhase:    singletonv1.PhaseTransitioning,
			wantActive:   "new",
			wantDegraded: singletonv1.ReasonTransitionOverdue,
		},
		{
			name:       "the pod's longer grace period is respected",
			ss:         singleton(activePod("old")),
			pods:       []podFacts{fact("old", 0, released, readyGate, grace(120)), fact("new", 10)},
			wantStop:   []stopRequest{{podRef: ref("old"), GracePeriodSeconds: 120}},
			wantPhase:  singletonv1.PhaseTransitioning,
			wantActive: "new", // recorded ahead of the stop
			wantHeld:   1,
		},
		{
			name: "respectPodGracePeriod false uses the StatefulSingleton's",
			ss: singleton(activePod("old"), func(ss *singletonv1.StatefulSingleton) {
				ss.Spec.RespectPodGracePeriod = ptr.To(false)
			}),
			pods:       []podFacts{fact("old", 0, released, readyGate, grace(120)), fact("new", 10)},
			wantStop:   []stopRequest{{podRef: ref("old"), GracePeriodSeconds: 30}},
			wantPhase:  singletonv1.PhaseTransitioning,
			wantActive: "new", // recorded ahead of the stop
			wantHeld:   1,
		},
		{
			name:        "the newest held pod is the candidate; an older held one keeps waiting",
			ss:          singleton(),
			pods:        []podFacts{fact("older", 0), fact("newer", 10)},
			wantRelease: &releaseRequest{podRef: ref("newer")},
			wantPhase:   singletonv1.PhaseTransitioning,
			wantActive:  "newer",
			wantHeld:    1,
		},
		{
			name: "RollingUpdate: the old ReplicaSet's replacement does not displace the new revision",
			ss:   singleton(activePod("old"), transitionOldToNew(now.Add(-time.Second))),
			pods: []podFacts{
				fact("old", 0, revision(1), released, readyGate, deleting),
				fact("new", 10, revision(2)),
				fact("replacement", 11, revision(1)),
			},
			wantPhase:  singletonv1.PhaseTransitioning,
			wantActive: "new", // recorded ahead of the stop
			wantHeld:   2,
		},
		{
			name: "RollingUpdate: once the old pod stopped, the new revision is released, not the replacement",
			ss:   singleton(activePod("old"), transitionOldToNew(now.Add(-time.Second))),
			pods: []podFacts{
				fact("old", 0, revision(1), released, readyGate, deleting, stopped("PodFinished", now)),
				fact("new", 10, revision(2)),
				fact("replacement", 11, revision(1)),
			},
			wantRelease:     &releaseRequest{podRef: ref("new")},
			wantRemoveFinal: []podRef{ref("old")},
			wantPhase:       singletonv1.PhaseTransitioning,
			wantActive:      "new",
			wantHeld:        1,
		},
		{
			name: "RollingUpdate: the new revision runs; the old revision's pod stays held and stops nothing",
			ss:   singleton(activePod("new")),
			pods: []podFacts{
				fact("new", 10, revision(2), released, readyGate),
				fact("replacement", 11, revision(1)),
			},
			wantPhase:  singletonv1.PhaseRunning,
			wantActive: "new",
			wantHeld:   1,
		},
		{
			name: "two replicas: one runs, the other is held, none is stopped, and it is reported",
			ss:   singleton(activePod("a")),
			pods: []podFacts{
				fact("a", 0, revision(1), twoReplicas, released, readyGate),
				fact("b", 0, revision(1), twoReplicas),
			},
			wantPhase:    singletonv1.PhaseFailed,
			wantActive:   "a",
			wantHeld:     1,
			wantDegraded: singletonv1.ReasonMoreThanOneReplica,
		},
		{
			name:         "pods of two workloads are reported",
			ss:           singleton(activePod("a")),
			pods:         []podFacts{fact("a", 0, released, readyGate), fact("b", 0, owner("StatefulSet/other"), stopped("PodFinished", t0))},
			wantPhase:    singletonv1.PhaseFailed,
			wantActive:   "a",
			wantDegraded: singletonv1.ReasonMultipleWorkloads,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)

			plan := decide(tt.ss, tt.pods, now)

			g.Expect(plan.Release).To(Equal(tt.wantRelease), "release")
			g.Expect(plan.Stop).To(Equal(tt.wantStop), "stop")
			g.Expect(plan.RemoveFinalizer).To(Equal(tt.wantRemoveFinal), "finalizers removed")
			g.Expect(plan.MarkReady).To(Equal(tt.wantMarkReady), "readiness gates set")
			g.Expect(plan.Status.Phase).To(Equal(tt.wantPhase), "phase; message %q", plan.Status.Message)
			g.Expect(plan.Status.ActivePod).To(Equal(tt.wantActive), "activePod")
			if plan.Status.ActivePodUID != "" {
				g.Expect(plan.Status.MayRunPods).To(ContainElement(HaveField("UID", plan.Status.ActivePodUID)),
					"the active pod, released or recorded ahead, is listed as may run")
			}
			g.Expect(plan.Status.HeldPods).To(Equal(tt.wantHeld), "heldPods")
			g.Expect(plan.Status.ObservedGeneration).To(Equal(int64(2)))
			degraded := meta.FindStatusCondition(plan.Status.Conditions, singletonv1.ConditionDegraded)
			g.Expect(degraded).NotTo(BeNil())
			if tt.wantDegraded == "" {
				g.Expect(degraded.Status).To(Equal(metav1.ConditionFalse), "degraded: %s", degraded.Message)
			} else {
				g.Expect(degraded.Status).To(Equal(metav1.ConditionTrue))
				g.Expect(degraded.Reason).To(Equal(tt.wantDegraded))
			}
		})
	}
}

// A whole hand-over, step by step, as the reconciler would see it: the record of the
// transition carries the gap between the old application's stop and the new release, and its
// duration once the new pod is ready.
func TestDecideTransitionRecordsTheHandover(t *testing.T) {
	g := NewWithT(t)
	ss := singleton(activePod("old"))

	start := t0.Add(time.Minute)
	plan := decide(ss, []podFacts{fact("old", 0, released, readyGate), fact("new", 50)}, start)
	g.Expect(plan.Status.CurrentTransition).To(transitionBetween("old", "new"))
	g.Expect(plan.Stop).To(HaveExactElements(HaveField("Name", "old")))
	// The release is recorded ahead of the old pod's stop: new is the active pod, and both may run.
	g.Expect(plan.Status.ActivePod).To(Equal("new"))
	g.Expect(plan.Status.MayRunPods).To(HaveExactElements(HaveField("Name", "new"), HaveField("Name", "old")))
	g.Expect(plan.Status.CurrentTransition.ReleaseTime).To(BeNil())
	ss.Status = plan.Status

	oldStopped := start.Add(1500 * time.Millisecond)
	releaseAt := oldStopped.Add(100 * time.Millisecond)
	plan = decide(ss, []podFacts{
		fact("old", 0, released, readyGate, deleting, stopped("PodFinished", oldStopped)),
		fact("new", 50),
	}, releaseAt)
	g.Expect(plan.Release).To(Equal(&releaseRequest{podRef: ref("new"), Recorded: true}))
	g.Expect(plan.Status.MayRunPods).To(HaveExactElements(HaveField("Name", "new")))
	g.Expect(plan.Status.CurrentTransition.FromStoppedTime).To(Equal(ptrTime(oldStopped)))
	g.Expect(plan.Status.CurrentTransition.HandoverGap).To(Equal(&metav1.Duration{Duration: 100 * time.Millisecond}))
	ss.Status = plan.Status

	readyAt := releaseAt.Add(200 * time.Millisecond)
	plan = decide(ss, []podFacts{fact("new", 50, released, readyGate)}, readyAt)
	g.Expect(plan.Status.CurrentTransition).To(BeNil())
	g.Expect(plan.Status.LastTransition).NotTo(BeNil())
	g.Expect(plan.Status.LastTransition.From).To(Equal("old"))
	g.Expect(plan.Status.LastTransition.To).To(Equal("new"))
	g.Expect(plan.Status.LastTransition.Duration).To(Equal(&metav1.Duration{Duration: readyAt.Sub(start)}))
	g.Expect(plan.Status.Phase).To(Equal(singletonv1.PhaseRunning))
	g.Expect(meta.IsStatusConditionTrue(plan.Status.Conditions, singletonv1.ConditionReady)).To(BeTrue())
}

// A forced release is pushed before its status write (its pod recorded ahead and tracked), and
// that write is then lost (a conflict): the status still records the pod ahead, with no release.
// Once the old pod is confirmed stopped, the release written again from the status is the forced
// release it was: the transition says forced, and the event will, though the old pod has stopped
// by now. It was written as a plain release, as if no two pods could have run.
func TestForcedReleaseWrittenAgainStaysForced(t *testing.T) {
	g := NewWithT(t)
	ss := singleton(activePod("old"), func(ss *singletonv1.StatefulSingleton) {
		ss.Spec.TimeoutAction, ss.Spec.MaxTransitionTime = singletonv1.TimeoutActionRelease, 60
	})
	start := t0.Add(time.Minute)
	plan := decide(ss, []podFacts{fact("old", 0, released, readyGate), fact("new", 50)}, start)
	g.Expect(plan.Status.ActivePod).To(Equal("new")) // recorded ahead of the old pod's stop
	ss.Status = plan.Status

	tracked := func(p *podFacts) { p.HasFinalizer = true }
	overdue := start.Add(61 * time.Second)
	plan = decide(ss, []podFacts{fact("old", 0, released, readyGate, deleting), fact("new", 50, tracked)}, overdue)
	g.Expect(plan.Release).To(Equal(&releaseRequest{podRef: ref("new"), Forced: true, Recorded: true, Tracked: true}))
	g.Expect(plan.Release.pushFirst()).To(BeTrue())
	// Pushed; the status write is lost, so ss.Status stays as it was. The ledger knows the push.
	pushedForced := func(p *podFacts) { p.Released, p.PushedForced = true, true }

	oldStopped := overdue.Add(2 * time.Second)
	plan = decide(ss, []podFacts{
		fact("old", 0, released, readyGate, deleting, stopped("PodFinished", oldStopped)),
		fact("new", 50, tracked, pushedForced),
	}, oldStopped.Add(100*time.Millisecond))
	g.Expect(plan.Release).NotTo(BeNil())
	g.Expect(plan.Release.Forced).To(BeTrue(), "the release written again is the forced one pushed")
	g.Expect(plan.Status.CurrentTransition).NotTo(BeNil())
	g.Expect(plan.Status.CurrentTransition.Forced).To(BeTrue())
	g.Expect(plan.Status.CurrentTransition.ReleaseTime).NotTo(BeNil())
}

// transitionBetween matches a transition record by its from and to pods.
func transitionBetween(from, to string) OmegaMatcher {
	return SatisfyAll(HaveField("From", from), HaveField("To", to))
}
