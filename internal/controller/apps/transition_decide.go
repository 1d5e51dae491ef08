package apps

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// armSettle is how long a pod stays armed before the old pod is asked to stop for it. The
// kubelet syncs a pod that changed only once its runtime cache is newer than its last sync, and
// that cache is relisted every second: a release that lands within a second of the new pod's
// last start waits up to a second more before the gate sees it. Container start times are
// reported to the second, hence two. The old application runs meanwhile, so this lengthens the
// transition, not the gap.
const armSettle = 2 * time.Second

// podRef names a pod and pins the UID the decision was made for, so that an action never
// lands on a newer pod of the same name (StatefulSets reuse names).
type podRef struct {
	Name string
	UID  types.UID
}

// stopRequest asks for a pod's deletion with a grace period.
type stopRequest struct {
	podRef
	GracePeriodSeconds int64
}

// releaseRequest releases a held pod. Forced is true when maxTransitionTime ran out with
// timeoutAction Release, not because every other pod was confirmed stopped. Tracked is true
// when the pod carried the release finalizer already when the decision read it: its object
// outlives its application however it is deleted, so the release may take effect (be pushed to
// its gates) as soon as the status records it, before its annotation is written. Recorded
// is true when the status the decision read records the release already (activePod, and among
// mayRunPods): it was recorded ahead, when the pods before it were asked to stop (handOver), or
// a release recorded was not written; a tracked pod's release is then pushed before this
// decision's status write.
type releaseRequest struct {
	podRef
	Forced   bool
	Tracked  bool
	Recorded bool
}

// pushFirst reports whether the release takes effect before the decision's status write: the
// API holds its record already, and the pod's object outlives its application.
func (r *releaseRequest) pushFirst() bool { return r.Tracked && r.Recorded }

// gateProof is a stop proven by the gates' exit reports (StopReasonGateReportedExit), read from
// the gate ledger snapshot of Version.
type gateProof struct {
	podRef
	Version uint64
}

// transitionPlan is the outcome of a decision: the status to record first, then the actions
// that make it true.
type transitionPlan struct {
	Status singletonv1.StatefulSingletonStatus
	// Consume lists the stops proven by gate reports that this plan rests on. Before anything
	// is written, each must be consumed in the ledger at its version (which fails when a start
	// registered since, and refuses every later start of the pod); a failure voids the plan.
	Consume []gateProof
	// Release, when set, releases one held pod.
	Release *releaseRequest
	// Stop lists pods whose deletion must be requested so that a newer pod can take over.
	Stop []stopRequest
	// Track lists pods that may run and carry no release finalizer yet: it keeps their objects
	// until their stop is confirmed.
	Track []podRef
	// RemoveFinalizer lists pods confirmed stopped, whose objects may now go.
	RemoveFinalizer []podRef
	// MarkReady lists released pods whose readiness gate must become True.
	MarkReady []podRef
	// Unguarded counts the selected pods that escaped the webhook and may run.
	Unguarded int
	// MayRun counts the pods that may run the application.
	MayRun int
	// Overdue is true while the transition in progress has taken longer than maxTransitionTime.
	Overdue bool
	// HandBack is true when a StatefulSingleton being deleted has nothing left in flight: no
	// release now, no transition in progress, no pod held. Its pods may then be let go, and the
	// object too.
	HandBack bool
	// RequeueAfter, when positive, is when the decision must be made again even without an event:
	// the moment a transition becomes overdue.
	RequeueAfter time.Duration
}

// decideTransition decides, from the pods a StatefulSingleton selects or lists as may run,
// which pod may run its application, what must stop first, and what the status says. It is
// pure: it reads no clock but in.Now and writes nothing.
//
// The rule (S1, docs/design.md): a held pod is released only when no other pod may run, that
// is when every released, unguarded or listed pod is confirmed stopped, and no listed pod
// vanished unconfirmed. The newest held selected pod is the candidate; older pods that may run
// are asked to stop for it. Of StatefulSingletons that share pods only the oldest decides.
func decideTransition(in transitionInput) transitionPlan {
	ss, pods, now := in.SS, in.Pods, in.Now
	status := *ss.Status.DeepCopy()
	status.ObservedGeneration = ss.Generation
	plan := transitionPlan{}
	running := filterPods(pods, podFacts.mayRun)
	plan.MayRun = len(running) + len(unfenced(in.Vanished))
	plan.Unguarded = len(filterPods(running, func(p podFacts) bool { return !p.Guarded }))
	status.HeldPods = int32(len(filterPods(pods, podFacts.held)))
	if in.SelectorError != "" || in.Elder != "" {
		// Nothing is released, stopped or let go: an invalid selector says nothing about
		// which pods are the workload's, and an elder decides for the shared pods. Being
		// deleted, such a StatefulSingleton has nothing in flight of its own to finish.
		setTransitionConditions(&status, &in, running, nil, false)
		plan.HandBack = !ss.DeletionTimestamp.IsZero()
		plan.Status = status
		return plan
	}
	candidate := candidateOf(pods, running)
	plan.Track, plan.RemoveFinalizer, plan.MarkReady = podChores(pods)
	plan.Consume = gateProofs(pods)
	recordStops(&status, pods, candidate, now)
	step := nextStep(&in, &status, running, candidate)
	plan.Release, plan.Stop, plan.RequeueAfter = step.Release, step.Stop, step.RequeueAfter
	if plan.Release != nil {
		// The release writes the finalizer too, in the same patch.
		plan.Track = slices.DeleteFunc(plan.Track, func(r podRef) bool { return r.UID == plan.Release.UID })
		p := findUID(pods, plan.Release.UID)
		plan.Release.Tracked = p.HasFinalizer
		plan.Release.Recorded = p.Recorded && ss.Status.ActivePodUID == p.UID
	} else if waitsForStop(candidate, running) &&
		!slices.ContainsFunc(plan.Track, func(r podRef) bool { return r.UID == candidate.UID }) {
		// The candidate's release comes once the pods that run have stopped: its finalizer
		// now keeps that release down to the status write and the push (Tracked).
		plan.Track = append(plan.Track, candidate.ref())
	}
	status.MayRunPods = mayRunRecords(running, in.Vanished, step.recorded(), pods)
	recordCompletion(&status, pods, now)

	plan.Overdue = overdue(ss, &status, now)
	if plan.Release != nil && candidate != nil && plan.Release.UID == candidate.UID {
		status.HeldPods--
	}
	// A pod still held waits for its release, or for its workload to remove it (an old
	// revision's replacement goes once the rollout ends): handing back before would leave it
	// gated for ever, or release it beside the one that runs.
	plan.HandBack = !ss.DeletionTimestamp.IsZero() && plan.Release == nil && status.CurrentTransition == nil &&
		status.HeldPods == 0
	if plan.HandBack {
		// The hand-back lets every pod go: a finalizer added now, on a view of the pods older
		// than the one the hand-back reads, would stay for ever.
		plan.Track = nil
	}
	setTransitionConditions(&status, &in, running, candidate, plan.Release != nil)
	plan.Status = status
	return plan
}

// gateProofs lists the pods whose stop rests on their gates' exit reports.
func gateProofs(pods []podFacts) []gateProof {
	var proofs []gateProof
	for i := range pods {
		if p := &pods[i]; p.Stopped && p.StopReason == StopReasonGateReportedExit {
			proofs = append(proofs, gateProof{podRef: p.ref(), Version: p.GateProofVersion})
		}
	}
	return proofs
}

// candidateOf returns the newest held pod the selector matches, unless a newer pod may run: an
// older revision's pod (say, the replacement an old ReplicaSet makes while a rollout goes on)
// waits behind a newer one that runs; it is held, but no transition starts.
func candidateOf(pods, running []podFacts) *podFacts {
	candidate := newestHeld(filterPods(pods, func(p podFacts) bool { return p.Selected }))
	if candidate != nil && anyNewer(running, candidate) {
		return nil
	}
	return candidate
}

// step is what a decision writes to the pods, and the pod whose release the status must list.
type step struct {
	Release      *releaseRequest
	Stop         []stopRequest
	RequeueAfter time.Duration
	// Ahead is the candidate whose release is recorded ahead of the stops it waits for.
	Ahead *podRef
}

// recorded is the pod that the status lists as may run because of this step: the one released,
// or the one whose release is recorded ahead.
func (s step) recorded() *podRef {
	if s.Release != nil {
		return &s.Release.podRef
	}
	return s.Ahead
}

// nextStep decides what to write to the pods: the release the status recorded and the pod does
// not carry yet; else the candidate's hand-over (its release recorded in the status ahead of
// the stops it waits for, or when it releases); else, when more than one pod may run, the stop
// of all but the newest.
func nextStep(in *transitionInput, status *singletonv1.StatefulSingletonStatus, running []podFacts,
	candidate *podFacts,
) step {
	vanished := len(unfenced(in.Vanished)) > 0
	if release := reRelease(status, in.Pods, running, vanished); release != nil {
		recordRelease(status, release.podRef, release.Forced, in.Now)
		return step{Release: release}
	}
	switch {
	case candidate != nil:
		s := handOver(in.SS, status, running, candidate, vanished, in.Now)
		switch {
		case s.Release != nil:
			recordRelease(status, candidate.ref(), s.Release.Forced, in.Now)
		case s.Ahead != nil:
			status.ActivePod, status.ActivePodUID = candidate.Name, candidate.UID
		}
		return s
	case len(running) > 1:
		return step{Stop: stopsForAllButNewest(in.SS, running)}
	}
	return step{}
}

// reRelease returns a release of the pod the status records as released, or as to be released
// (recorded ahead), when the pod does not carry it yet: the operator stopped, or a write failed,
// between recording and releasing (a release pushed and not written included), or the pods it
// waited for are now confirmed stopped. The status is what the API holds, and the operator
// resumes from it (S2). Only while no other pod may run: one that started meanwhile (say, one
// that escaped the webhook) holds it.
func reRelease(status *singletonv1.StatefulSingletonStatus, pods, running []podFacts, vanished bool,
) *releaseRequest {
	if status.ActivePodUID == "" || vanished {
		return nil
	}
	p := findUID(pods, status.ActivePodUID)
	if p == nil || p.Annotated || !p.Guarded || p.Stopped || p.Deleting || !p.Selected ||
		slices.ContainsFunc(running, func(o podFacts) bool { return o.UID != p.UID }) {
		return nil
	}
	// A forced release this operator pushed, whose record was then not written, is still forced.
	return &releaseRequest{podRef: p.ref(), Forced: p.PushedForced}
}

// unfenced returns the vanished pods whose node is not fenced: their application may still run.
func unfenced(vanished []vanishedPod) []vanishedPod {
	var out []vanishedPod
	for _, v := range vanished {
		if !v.Fenced {
			out = append(out, v)
		}
	}
	return out
}

// mayRunRecords lists, for the status, every pod that may run: the running pods, the
// vanished ones not fenced, and the pod released now or recorded ahead (recorded before its
// release is written); by name and UID, so that the status changes only when the list does,
// not when the cache lists the pods in another order.
func mayRunRecords(running []podFacts, vanished []vanishedPod, release *podRef, pods []podFacts,
) []singletonv1.PodReference {
	var refs []singletonv1.PodReference
	for i := range running {
		refs = append(refs, running[i].reference())
	}
	for _, v := range unfenced(vanished) {
		refs = append(refs, v.Ref)
	}
	listed := func(r singletonv1.PodReference) bool { return release != nil && r.UID == release.UID }
	if release != nil && !slices.ContainsFunc(refs, listed) {
		refs = append(refs, findUID(pods, release.UID).reference())
	}
	slices.SortFunc(refs, func(a, b singletonv1.PodReference) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(string(a.UID), string(b.UID)))
	})
	return refs
}

// stopsForAllButNewest asks every pod that may run but the newest to stop: two pods that may
// both run (a forced release, a node un-fenced) are reported, and the older one goes. Pods of a
// workload with more than one replica are left alone: their owner would only replace them.
func stopsForAllButNewest(ss *singletonv1.StatefulSingleton, running []podFacts) []stopRequest {
	if len(replicated(running)) > 0 {
		return nil
	}
	newest := &running[0]
	for i := range running {
		if running[i].newerThan(newest) {
			newest = &running[i]
		}
	}
	var stops []stopRequest
	for i := range running {
		p := &running[i]
		if p.UID == newest.UID || p.Deleting {
			continue
		}
		stops = append(stops, stopRequest{podRef: p.ref(), GracePeriodSeconds: gracePeriodFor(ss, p)})
	}
	return stops
}

// waitsForStop reports whether the candidate is armed and waits only for the pods that may run
// to stop, and carries no release finalizer yet.
func waitsForStop(candidate *podFacts, running []podFacts) bool {
	return candidate != nil && candidate.Armed && !candidate.HasFinalizer && len(running) > 0
}

// podChores lists the pods that may run and carry no finalizer yet (a finalizer cannot be
// added once a deletion is requested), the pods confirmed stopped whose finalizer may go (and
// the held ones being deleted, tracked while they waited for a release that can no longer
// come: a pod being deleted is never released), and the released pods still running whose
// readiness gate is not set yet.
func podChores(pods []podFacts) (track, removeFinalizer, markReady []podRef) {
	for i := range pods {
		p := &pods[i]
		if p.mayRun() && !p.HasFinalizer && !p.Deleting {
			track = append(track, p.ref())
		}
		if p.HasFinalizer && (p.Stopped || p.Deleting && !p.mayRun()) {
			removeFinalizer = append(removeFinalizer, p.ref())
		}
		if p.Released && p.mayRun() && !p.Deleting && !p.ReadyGate {
			markReady = append(markReady, p.ref())
		}
	}
	return track, removeFinalizer, markReady
}

// handOver decides the next step for a waiting candidate: release it when nothing else may
// run (or, forced, when the transition is overdue and the user chose Release); otherwise, once
// it is armed and settled, record its release ahead and ask the older pods to stop, and say
// when the transition becomes overdue.
//
// The release recorded ahead (S2, docs/design.md) lists the candidate as may run, and names it
// the active pod, before any pod is asked to stop for it: the release then takes effect the
// moment the pods before it are proven stopped (reRelease), with no status write in between. A
// pod recorded ahead is a pod that may run for every decision (its own release may have been
// pushed, and this operator stopped before writing so), this one's and an older version's
// alike: until it is confirmed stopped, no other pod is released, and a newer candidate asks it
// to stop.
func handOver(ss *singletonv1.StatefulSingleton, status *singletonv1.StatefulSingletonStatus,
	running []podFacts, candidate *podFacts, vanished bool, now time.Time,
) step {
	switch {
	case len(running) == 0 && !vanished:
		return step{Release: &releaseRequest{podRef: candidate.ref()}}
	case overdue(ss, status, now) && ss.Spec.TimeoutAction == singletonv1.TimeoutActionRelease:
		return step{Release: &releaseRequest{podRef: candidate.ref(), Forced: true}}
	case len(replicated(running)) > 0 || candidate.OwnerReplicas > 1:
		// Stopping a pod for a sibling of the same revision would only make its owner replace
		// it, and the pods would take turns for ever: hold instead.
		return step{RequeueAfter: untilOverdue(ss, status, now)}
	case !candidate.Armed:
		// The old application keeps running until the new pod could start at once: the gap is
		// then the stop and the release, not the new pod's start-up (or its failure to pull).
		return step{RequeueAfter: untilOverdue(ss, status, now)}
	case now.Before(candidate.ArmedAt.Add(armSettle)):
		return step{RequeueAfter: candidate.ArmedAt.Add(armSettle).Sub(now)}
	}
	ahead := candidate.ref()
	return step{Stop: stopsFor(ss, running, candidate), RequeueAfter: untilOverdue(ss, status, now), Ahead: &ahead}
}

// replicated returns the pods whose owner asks for more than one replica.
func replicated(pods []podFacts) []podFacts {
	return filterPods(pods, func(p podFacts) bool { return p.OwnerReplicas > 1 })
}

// held reports whether the pod's application waits for a release.
func (p podFacts) held() bool { return p.Guarded && !p.Released && !p.Stopped && !p.Deleting }

func (p podFacts) ref() podRef { return podRef{Name: p.Name, UID: p.UID} }

func (p *podFacts) reference() singletonv1.PodReference {
	return singletonv1.PodReference{Name: p.Name, UID: p.UID, NodeName: p.NodeName}
}

func filterPods(pods []podFacts, keep func(podFacts) bool) []podFacts {
	var out []podFacts
	for i := range pods {
		if keep(pods[i]) {
			out = append(out, pods[i])
		}
	}
	return out
}

// newestHeld returns the newest held pod (by name among equals), or nil.
func newestHeld(pods []podFacts) *podFacts {
	var newest *podFacts
	for i := range pods {
		p := &pods[i]
		if !p.held() {
			continue
		}
		if newest == nil || p.newerThan(newest) || (!newest.newerThan(p) && p.Name > newest.Name) {
			newest = p
		}
	}
	return newest
}

// anyNewer reports whether one of the pods is newer than p.
func anyNewer(pods []podFacts, p *podFacts) bool {
	for i := range pods {
		if pods[i].newerThan(p) {
			return true
		}
	}
	return false
}

// stopsFor asks every pod that may run and is not newer than the candidate to stop, unless its
// deletion is already under way; a pod of the candidate's revision created in the same second
// is asked to stop too. The candidate itself may be among them (its release recorded in the
// status, not written: another pod may run again, say once a gate's proof held in memory is
// lost with a restart, S6): it is never asked to stop, it waits.
func stopsFor(ss *singletonv1.StatefulSingleton, running []podFacts, candidate *podFacts) []stopRequest {
	var stops []stopRequest
	for i := range running {
		p := &running[i]
		if p.Deleting || p.UID == candidate.UID || p.newerThan(candidate) {
			continue
		}
		stops = append(stops, stopRequest{podRef: p.ref(), GracePeriodSeconds: gracePeriodFor(ss, p)})
	}
	return stops
}

// gracePeriodFor is the grace period to delete a pod with: the StatefulSingleton's, or the pod's
// own when that is longer and respectPodGracePeriod is not false.
func gracePeriodFor(ss *singletonv1.StatefulSingleton, p *podFacts) int64 {
	grace := int64(ss.Spec.TerminationGracePeriod)
	respect := ss.Spec.RespectPodGracePeriod == nil || *ss.Spec.RespectPodGracePeriod
	if respect && p.GracePeriod > grace {
		grace = p.GracePeriod
	}
	return grace
}

// recordStops keeps the in-progress transition up to date: it starts one when a pod waits
// while another may run, and notes when the pod handed over from was confirmed stopped. It
// clears activePod once that pod is confirmed stopped, before its finalizer goes.
func recordStops(status *singletonv1.StatefulSingletonStatus, pods []podFacts, candidate *podFacts, now time.Time) {
	active := activeOf(status, pods)
	if candidate != nil && (status.CurrentTransition == nil || status.CurrentTransition.To != candidate.Name) {
		status.CurrentTransition = &singletonv1.TransitionRecord{
			From: status.ActivePod, To: candidate.Name, StartTime: ptrTime(now),
		}
		if active != nil && active.UID == candidate.UID {
			// The candidate's release was recorded ahead for a transition that began before:
			// that one's pod is gone or another candidate came and went; its origin is unknown.
			status.CurrentTransition.From = ""
		}
		status.TransitionTimestamp = ptrTime(now)
	}
	if t := status.CurrentTransition; t != nil && t.FromStoppedTime == nil {
		if from := fromOf(t, status, pods, active); from != nil && from.Stopped {
			stopped := now
			if !from.StoppedAt.IsZero() {
				stopped = from.StoppedAt
			}
			t.FromStoppedTime = ptrTime(stopped)
		}
	}
	if active != nil && active.Stopped {
		status.ActivePod, status.ActivePodUID = "", ""
	}
}

// fromOf returns the pod a transition hands over from: the active pod until the candidate's
// release is recorded (ahead of the stop, or at the release), then the pod of the transition's
// From name that is not the active one.
func fromOf(t *singletonv1.TransitionRecord, status *singletonv1.StatefulSingletonStatus, pods []podFacts,
	active *podFacts,
) *podFacts {
	switch {
	case t.From == "":
		return nil
	case status.ActivePodUID != "" && status.ActivePod == t.To:
		if p := findPod(pods, t.From); p != nil && p.UID != status.ActivePodUID {
			return p
		}
		return nil
	case active != nil && active.Name == t.From:
		return active
	}
	return nil
}

// activeOf returns the released pod the status names, by UID: a pod of the same name and
// another UID (a StatefulSet's next pod) is not it. A status written before UIDs were recorded
// names the pod only; then the pod of that name counts when it carries a release.
func activeOf(status *singletonv1.StatefulSingletonStatus, pods []podFacts) *podFacts {
	if status.ActivePodUID != "" {
		return findUID(pods, status.ActivePodUID)
	}
	if p := findPod(pods, status.ActivePod); p != nil && p.Released {
		status.ActivePodUID = p.UID
		return p
	}
	return nil
}

// recordRelease records the release of a pod as the active pod and, when it ends the transition
// in progress, the moment of the release (once: a release written again after an interruption
// keeps the first).
func recordRelease(status *singletonv1.StatefulSingletonStatus, pod podRef, forced bool, now time.Time) {
	status.ActivePod, status.ActivePodUID = pod.Name, pod.UID
	t := status.CurrentTransition
	if t == nil || t.To != pod.Name || t.ReleaseTime != nil {
		return
	}
	t.ReleaseTime = ptrTime(now)
	t.Forced = forced
	if t.FromStoppedTime != nil {
		t.HandoverGap = &metav1.Duration{Duration: now.Sub(t.FromStoppedTime.Time).Round(time.Millisecond)}
	}
}

// recordCompletion closes the transition once its pod is released and ready.
func recordCompletion(status *singletonv1.StatefulSingletonStatus, pods []podFacts, now time.Time) {
	t := status.CurrentTransition
	if t == nil || t.ReleaseTime == nil {
		return
	}
	to := findPod(pods, t.To)
	if to == nil || !to.Released || !to.ReadyGate {
		return
	}
	t.CompletionTime = ptrTime(now)
	if t.StartTime != nil {
		t.Duration = &metav1.Duration{Duration: now.Sub(t.StartTime.Time).Round(time.Millisecond)}
	}
	status.LastTransition = t
	status.CurrentTransition = nil
}

// overdue reports whether the transition in progress has taken longer than maxTransitionTime.
func overdue(ss *singletonv1.StatefulSingleton, status *singletonv1.StatefulSingletonStatus, now time.Time) bool {
	return status.CurrentTransition != nil && untilOverdue(ss, status, now) == 0
}

// untilOverdue is the time left before the transition in progress is overdue; 0 once it is.
func untilOverdue(
	ss *singletonv1.StatefulSingleton, status *singletonv1.StatefulSingletonStatus, now time.Time,
) time.Duration {
	t := status.CurrentTransition
	if t == nil || t.StartTime == nil {
		return 0
	}
	left := t.StartTime.Add(time.Duration(ss.Spec.MaxTransitionTime) * time.Second).Sub(now)
	return max(left, 0)
}

func findUID(pods []podFacts, uid types.UID) *podFacts {
	for i := range pods {
		if pods[i].UID == uid && uid != "" {
			return &pods[i]
		}
	}
	return nil
}

func findPod(pods []podFacts, name string) *podFacts {
	for i := range pods {
		if pods[i].Name == name && name != "" {
			return &pods[i]
		}
	}
	return nil
}

func ptrTime(t time.Time) *metav1.Time {
	mt := metav1.NewTime(t)
	return &mt
}

// workloads lists the distinct workloads that own the pods, sorted; bare pods are left out.
func workloads(pods []podFacts) []string {
	var owners []string
	for i := range pods {
		owner := pods[i].Owner
		if owner != "" && !slices.Contains(owners, owner) {
			owners = append(owners, owner)
		}
	}
	slices.Sort(owners)
	return owners
}

func podNames(pods []podFacts) string {
	names := make([]string, 0, len(pods))
	for i := range pods {
		names = append(names, pods[i].Name)
	}
	return strings.Join(names, ", ")
}

// describeWait says, for a person, what the candidate waits for.
func describeWait(candidate *podFacts, running []podFacts, vanished []vanishedPod) string {
	if len(vanished) > 0 {
		return fmt.Sprintf("Pod %s waits: %s disappeared before its stop was confirmed; "+
			"fence its node (delete the Node or taint it %s), or, once you know its application stopped, "+
			"add its UID to the annotation %s of this StatefulSingleton.", candidate.Name, vanishedNames(vanished),
			singletonv1.TaintOutOfService, singletonv1.AnnotationConfirmedStopped)
	}
	return fmt.Sprintf("Pod %s waits for %s to stop.", candidate.Name, podNames(running))
}

func vanishedNames(vanished []vanishedPod) string {
	names := make([]string, 0, len(vanished))
	for _, v := range vanished {
		node := v.Ref.NodeName
		if node == "" {
			node = "no node known"
		}
		names = append(names, fmt.Sprintf("pod %s (uid %s, node %s)", v.Ref.Name, v.Ref.UID, node))
	}
	return strings.Join(names, ", ")
}
