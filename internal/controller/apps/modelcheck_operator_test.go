package apps

// The adapter between the model and the production code: the only file of the model checker
// that calls it. It translates the world's objects into Kubernetes objects, runs the real
// gather (observePod, the owners' and nodes' facts, the gate ledger's snapshot) and
// decideTransition on what the operator's caches hold, and turns the plan into the writes the
// real Reconcile sends, in its order (the gate proofs consumed first), with its preconditions
// and its error handling. It also runs the real webhook's choice (pod.Selecting) and
// preparation (pod.Inject) of a new pod, and the real gate ledger (gatechannel.Ledger) for the
// channel server of modelcheck_gate_test.go.
//
// Port this file when the decision API changes; the world, the explorer and the invariants do
// not depend on it beyond operatorAdapter.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/gatechannel"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
)

// operatorAdapter is what the world needs from the production code.
type operatorAdapter interface {
	// decide runs one reconcile of the StatefulSingleton named, from what the operator's
	// caches hold, and returns the writes it sends, in order; with describe, a summary too.
	decide(v cacheView, name string, describe bool) reconcileDecision
	// admit runs the webhook on a new pod: it prepares it, or not, and says what it did. sss is
	// what the webhook's cache holds; fast: the webhook has the channel to give a supervising
	// gate (the fast hand-over).
	admit(sss []mSS, p *mPod, fast bool) string
}

// cacheView is what one reconcile reads: the operator's caches, the owners of the pods, and
// what the operator keeps in memory.
type cacheView struct {
	pods   []mPod
	sss    []mSS
	nodes  []mNode
	owner  func(*mPod) ownerInfo
	memory string
	// ledger is the gate channel's ledger, as the decision's snapshot reads it.
	ledger []ledgerEntry
}

// reconcileDecision is the outcome of one reconcile: the writes to send, in order, a summary of
// what it saw and decided (for traces), and the memory it keeps for the next one: memory, or
// that of the last of memorySteps whose write succeeded.
type reconcileDecision struct {
	writes      []apiWrite
	summary     string
	memory      string
	memorySteps []memoryStep
}

// memoryStep is the operator's memory once the write at index write succeeded: a release pushed
// (remembered, its annotation not written) or written.
type memoryStep struct {
	write  int
	memory string
}

// productionOperator drives the code of this repository.
var productionOperator operatorAdapter = realOperator{}

// realOperator drives the code of this repository; broken removes one of the fast path's
// safety pieces from what it decides or writes (brokenNoDeletion, brokenNoConsume,
// brokenPushBeforeRecord).
type realOperator struct{ broken brokenPiece }

const (
	mcNamespace = "default"
	mcGateImage = "registry.example/singleton-operator:gate"
	// stsRevisionPrefix names StatefulSet revision N "db-vN"; a ReplicaSet's pod-template-hash
	// is "rN".
	stsRevisionPrefix = mcWorkload + "-v"
)

// The model's clock: objects are created one second apart from mcEpoch; every decision is made
// at mcNow, long after, so that no settle time is pending and no transition is overdue.
var (
	mcEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mcNow   = mcEpoch.Add(time.Hour)
)

func (op realOperator) decide(v cacheView, name string, describe bool) reconcileDecision {
	var cached *mSS
	for i := range v.sss {
		if v.sss[i].name == name {
			cached = &v.sss[i]
		}
	}
	reader := newCacheReader(v)
	if cached == nil {
		// Reconcile: the StatefulSingleton is not found: letOrphansGo, releasing held pods.
		writes := letOrphansGoWrites(reader, name, true)
		return reconcileDecision{writes: writes, memory: v.memory,
			summary: fmt.Sprintf("%s is not in the cache: its pods are let go (%d writes)", name, len(writes))}
	}
	ss := toSingleton(cached)
	var writes []apiWrite
	// ensureHandBackFinalizer.
	if !cached.deleting && !cached.finalizer {
		writes = append(writes, apiWrite{op: opSSAddFinalizer, name: name, rv: cached.rv, chainRV: true})
		ss.Finalizers = append(ss.Finalizers, singletonv1.FinalizerHandBack)
	}
	gate, _ := buildLedger(v.ledger, false)
	r := &StatefulSingletonReconciler{Client: reader, Gate: gate}
	for _, entry := range strings.Split(v.memory, ",") {
		if uid, e := parseMemoryEntry(entry); uid != "" {
			r.ledger.add(types.UID(uid), e.Written, e.Forced)
		}
	}
	seen, err := r.gather(context.Background(), ss)
	if err != nil {
		panic(fmt.Sprintf("gather from the model's cache: %v", err))
	}
	seen.Now = mcNow
	in := observe(seen)
	if op.broken.has(brokenNoDeletion) {
		proveWithoutDeletion(&in, &seen)
	}
	plan := decideTransition(in)

	// consumeGateProofs, then the push of a release the status read records already, then
	// patchStatus, then apply, then handBack, as Reconcile does them.
	if !op.broken.has(brokenNoConsume) {
		for _, proof := range plan.Consume {
			writes = append(writes, apiWrite{op: opConsume, name: proof.Name, uid: modelUID(proof.UID)})
		}
	}
	dec := reconcileDecision{memory: ledgerMemory(&r.ledger, "", pushedRelease{})}
	if rel := plan.Release; rel != nil && rel.pushFirst() {
		writes = append(writes, apiWrite{op: opPush, name: rel.Name, uid: modelUID(rel.UID)})
	}
	if !apiequality.Semantic.DeepEqual(ss.Status, plan.Status) {
		status := plan.Status
		key, err := json.Marshal(&status)
		if err != nil {
			panic(err)
		}
		writes = append(writes, apiWrite{op: opSSStatus, name: name, rv: cached.rv, chainRV: true,
			status: ssStatus{id: internStatus(string(key)), val: &status}})
	}
	writes = append(writes, applyWrites(append(seen.Selected, seen.Recorded...), &plan)...)
	if op.broken.has(brokenPushBeforeRecord) {
		writes = pushBeforeRecord(writes)
	}
	if rel := plan.Release; rel != nil {
		// The push remembers the release, its annotation not written; the patch, written. A pod
		// not tracked is patched first, then pushed: remembered once, written.
		for i := range writes {
			switch wr := &writes[i]; {
			case wr.op == opPush && wr.uid == modelUID(rel.UID):
				dec.memorySteps = append(dec.memorySteps, memoryStep{write: i,
					memory: ledgerMemory(&r.ledger, rel.UID, pushedRelease{Written: !rel.Tracked, Forced: rel.Forced})})
			case wr.op == opPodRelease && wr.releaseUID == modelUID(rel.UID):
				dec.memorySteps = append(dec.memorySteps, memoryStep{write: i,
					memory: ledgerMemory(&r.ledger, rel.UID, pushedRelease{Written: true, Forced: rel.Forced})})
			}
		}
	}
	if plan.HandBack && slices.Contains(ss.Finalizers, singletonv1.FinalizerHandBack) {
		writes = append(writes, letOrphansGoWrites(reader, name, false)...)
		writes = append(writes, apiWrite{op: opSSRemoveFinalizer, name: name, rv: cached.rv, chainRV: true})
	}
	dec.writes = writes
	if describe {
		dec.summary = summarize(ss, in.Pods, &plan)
	}
	return dec
}

// proveWithoutDeletion is the decision with a safety piece removed (brokenNoDeletion): a pod
// whose supervised containers all reported their exit counts as stopped whether or not its
// deletion was requested.
func proveWithoutDeletion(in *transitionInput, seen *observation) {
	for i := range in.Pods {
		f := &in.Pods[i]
		if f.Stopped || f.Deleting {
			continue
		}
		pod := findPodObject(seen, f.UID)
		containers, supervised := podwebhook.SupervisedContainers(pod)
		if _, ok := seen.GateLedger.AllExited(f.UID, containers); supervised && ok {
			f.Stopped, f.StopReason, f.GateProofVersion = true, StopReasonGateReportedExit, seen.GateLedger.Version
		}
	}
}

// pushBeforeRecord moves a release's push before the status write (brokenPushBeforeRecord).
func pushBeforeRecord(writes []apiWrite) []apiWrite {
	push := slices.IndexFunc(writes, func(wr apiWrite) bool { return wr.op == opPush })
	status := slices.IndexFunc(writes, func(wr apiWrite) bool { return wr.op == opSSStatus })
	if push < 0 || status < 0 || push < status {
		return writes
	}
	moved := slices.Clone(writes)
	wr := moved[push]
	return slices.Insert(slices.Delete(moved, push, push+1), status, wr)
}

func findPodObject(seen *observation, uid types.UID) *corev1.Pod {
	for _, list := range [][]corev1.Pod{seen.Selected, seen.Recorded} {
		for i := range list {
			if list[i].UID == uid {
				return &list[i]
			}
		}
	}
	return nil
}

// mcAppContainer is the name of the workload's one application container.
const mcAppContainer = "db"

// buildLedger rebuilds the real gate ledger from the world's canonical entries, and returns the
// version of the snapshot a reconcile begun and not ended read: with ordered, the starts
// registered since that snapshot (fresh) are registered after it.
func buildLedger(entries []ledgerEntry, ordered bool) (*gatechannel.Ledger, uint64) {
	l := gatechannel.NewLedger()
	restore := func(e *ledgerEntry) {
		uid := types.UID(podUID(e.uid))
		switch {
		case e.latest > 0 && e.exited:
			l.Exited(uid, mcAppContainer, int(e.latest), 0, mcNow)
		case e.latest > 0:
			l.Opened(uid, mcAppContainer, int(e.latest))
		}
		if e.consumed {
			if err := l.Consume(uid, math.MaxUint64); err != nil {
				panic(err)
			}
		}
	}
	for i := range entries {
		if !ordered || !entries[i].fresh {
			restore(&entries[i])
		}
	}
	version := l.Snapshot().Version
	for i := range entries {
		if ordered && entries[i].fresh {
			restore(&entries[i])
		}
	}
	return l, version
}

// readLedger reads the real ledger back into canonical entries: those of the UIDs given that it
// holds anything about. A start registered beyond before's is fresh while a reconcile is begun.
func readLedger(l *gatechannel.Ledger, uids []int, before []ledgerEntry, begun bool) []ledgerEntry {
	names := make([]types.UID, 0, len(uids))
	for _, uid := range uids {
		names = append(names, types.UID(podUID(uid)))
	}
	snap := l.Snapshot(names...)
	var out []ledgerEntry
	for _, uid := range uids {
		rec, ok := snap.Pods[types.UID(podUID(uid))]
		if !ok {
			continue
		}
		e := ledgerEntry{uid: uid, consumed: rec.Consumed}
		if c, ok := rec.Containers[mcAppContainer]; ok {
			e.latest, e.exited = uint8(c.Start), c.Exited
		}
		if e.latest == 0 && !e.consumed {
			continue
		}
		if old := findLedger(before, uid); old != nil {
			e.fresh = old.fresh || begun && e.latest > old.latest
		} else {
			e.fresh = begun && e.latest > 0
		}
		out = append(out, e)
	}
	return out
}

func findLedger(ledger []ledgerEntry, uid int) *ledgerEntry {
	for i := range ledger {
		if ledger[i].uid == uid {
			return &ledger[i]
		}
	}
	return nil
}

// ledgerUIDs lists, sorted, the UIDs the ledger may hold something about: its entries', and
// every pod's and runtime's.
func (w *world) ledgerUIDs() []int {
	uids := make([]int, 0, len(w.op.ledger)+len(w.pods)+len(w.rts))
	for i := range w.op.ledger {
		uids = append(uids, w.op.ledger[i].uid)
	}
	for i := range w.pods {
		uids = append(uids, w.pods[i].uid)
	}
	for i := range w.rts {
		uids = append(uids, w.rts[i].uid)
	}
	slices.Sort(uids)
	return slices.Compact(uids)
}

// ledgerUpdate runs one call of the channel server on the real ledger, rebuilt from the world's.
func (w *world) ledgerUpdate(call func(*gatechannel.Ledger)) {
	l, _ := buildLedger(w.op.ledger, false)
	call(l)
	w.op.ledger = readLedger(l, w.ledgerUIDs(), w.op.ledger, w.op.begun != nil)
}

// ledgerOpened is the server's Hello of a gate: the session's start is registered.
func (w *world) ledgerOpened(uid int, start uint8) {
	w.ledgerUpdate(func(l *gatechannel.Ledger) { l.Opened(types.UID(podUID(uid)), mcAppContainer, int(start)) })
}

// ledgerForget is the server's sweep of a pod whose object is gone.
func (w *world) ledgerForget(uid int) {
	w.ledgerUpdate(func(l *gatechannel.Ledger) { l.Forget(types.UID(podUID(uid))) })
}

// ledgerExited is the server's exit report; it returns the ledger's answer.
func (w *world) ledgerExited(uid int, start uint8) (result string) {
	w.ledgerUpdate(func(l *gatechannel.Ledger) {
		result = l.Exited(types.UID(podUID(uid)), mcAppContainer, int(start), 0, mcNow)
	})
	return result
}

// ledgerStarted is the server's start request, with the deletion its cache showed when it
// checked the request.
func (w *world) ledgerStarted(uid int, start uint8, deleting bool) (allowed bool, why string) {
	w.ledgerUpdate(func(l *gatechannel.Ledger) {
		allowed, why = l.Started(types.UID(podUID(uid)), mcAppContainer, int(start), deleting)
	})
	return allowed, why
}

// consume is consumeGateProofs' call for one proof: the real Consume, at the version of the
// snapshot the decision read (for a reconcile begun and not ended, the starts registered since
// come after it). A stale proof fails the reconcile, as a conflict does.
func (w *world) consume(wr *apiWrite) writeResult {
	l, version := buildLedger(w.op.ledger, true)
	if err := l.Consume(types.UID(podUID(wr.uid)), version); err != nil {
		return writeConflict
	}
	w.op.ledger = readLedger(l, w.ledgerUIDs(), w.op.ledger, w.op.begun != nil)
	return writeOK
}

// In the model's memory, an entry is a UID marked mcForced when the release was forced, then
// mcPushedOnly when its annotation is not written.
const (
	mcForced     = "!"
	mcPushedOnly = "?"
)

// memoryEntry is the model's memory entry of a released UID.
func memoryEntry(uid types.UID, e pushedRelease) string {
	out := string(uid)
	if e.Forced {
		out += mcForced
	}
	if !e.Written {
		out += mcPushedOnly
	}
	return out
}

// parseMemoryEntry reads a memoryEntry.
func parseMemoryEntry(entry string) (string, pushedRelease) {
	uid, pushedOnly := strings.CutSuffix(entry, mcPushedOnly)
	uid, forced := strings.CutSuffix(uid, mcForced)
	return uid, pushedRelease{Written: !pushedOnly, Forced: forced}
}

// ledgerMemory is the ledger as the model keeps it between reconciles: its UIDs, sorted, each
// with what the ledger knows of its release, with the one released now merged in when set.
func ledgerMemory(l *releaseLedger, released types.UID, now pushedRelease) string {
	entries := map[types.UID]pushedRelease{}
	for uid, e := range l.uids {
		entries[uid] = e
	}
	if released != "" {
		entries[released] = entries[released].merge(now)
	}
	out := make([]string, 0, len(entries))
	for uid, e := range entries {
		out = append(out, memoryEntry(uid, e))
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

// applyWrites are the pod writes of apply: the release and its push, the finalizers added, the
// stops, the finalizers removed, the readiness gates, each pinned to the pod the decision saw.
func applyWrites(pods []corev1.Pod, plan *transitionPlan) []apiWrite {
	byUID := make(map[types.UID]*corev1.Pod, len(pods))
	for i := range pods {
		byUID[pods[i].UID] = &pods[i]
	}
	var writes []apiWrite
	if rel := plan.Release; rel != nil {
		// release: a tracked pod's release is pushed before its patch (before the status write
		// when the status read records it already), another's after it.
		p := byUID[rel.UID]
		push := apiWrite{op: opPush, name: p.Name, uid: modelUID(p.UID)}
		if rel.Tracked && !rel.pushFirst() {
			writes = append(writes, push)
		}
		writes = append(writes, apiWrite{op: opPodRelease, name: p.Name, rv: rvOf(p), releaseUID: modelUID(p.UID)})
		if !rel.Tracked {
			writes = append(writes, push)
		}
	}
	for _, ref := range plan.Track {
		p := byUID[ref.UID]
		writes = append(writes, apiWrite{op: opPodTrack, name: p.Name, rv: rvOf(p)})
	}
	for _, stop := range plan.Stop {
		p := byUID[stop.UID]
		t := plan.Status.CurrentTransition
		writes = append(writes, apiWrite{op: opPodDelete, name: p.Name, uid: modelUID(p.UID),
			grace: stop.GracePeriodSeconds, ignoreNotFound: true, ignoreConflict: true,
			stopsCandidate: t != nil && t.To == p.Name})
	}
	for _, ref := range plan.RemoveFinalizer {
		p := byUID[ref.UID]
		writes = append(writes, apiWrite{op: opPodRemoveFinalizer, name: p.Name, rv: rvOf(p), ignoreNotFound: true})
	}
	for _, ref := range plan.MarkReady {
		p := byUID[ref.UID]
		writes = append(writes, apiWrite{op: opPodReady, name: p.Name, rv: rvOf(p), ignoreNotFound: true})
	}
	return writes
}

// letOrphansGoWrites are the writes of letOrphansGo: every cached pod labeled for the
// StatefulSingleton that no other one selects or lists loses its release finalizer and, when
// release is set and it is still held, is released.
func letOrphansGoWrites(reader *cacheReader, name string, release bool) []apiWrite {
	var writes []apiWrite
	for i := range reader.pods {
		pod := &reader.pods[i]
		if pod.Labels[singletonv1.LabelInstance] != name || claimedByAnother(name, reader.singletons, pod) {
			continue
		}
		held := release && stillHeld(pod)
		if !held && !slices.Contains(pod.Finalizers, singletonv1.FinalizerRelease) {
			continue
		}
		wr := apiWrite{op: opPodHandBack, name: pod.Name, rv: rvOf(pod), ignoreNotFound: true}
		if held {
			wr.releaseUID = modelUID(pod.UID)
		}
		writes = append(writes, wr)
	}
	return writes
}

func rvOf(p *corev1.Pod) int {
	rv, err := strconv.Atoi(p.ResourceVersion)
	if err != nil {
		panic(err)
	}
	return rv
}

func modelUID(uid types.UID) int {
	n, err := strconv.Atoi(strings.TrimPrefix(string(uid), "u"))
	if err != nil {
		panic(err)
	}
	return n
}

// summarize says what a reconcile saw and decided, for a trace.
func summarize(ss *singletonv1.StatefulSingleton, facts []podFacts, plan *transitionPlan) string {
	var b strings.Builder
	b.WriteString("saw {")
	for i := range facts {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(describeFacts(&facts[i], ss.Name))
	}
	fmt.Fprintf(&b, "} activePod=%q; decided:", ss.Status.ActivePod)
	n := b.Len()
	if rel := plan.Release; rel != nil {
		fmt.Fprintf(&b, " release %s/%s", rel.Name, rel.UID)
	}
	for _, s := range plan.Stop {
		fmt.Fprintf(&b, " stop %s/%s", s.Name, s.UID)
	}
	for _, r := range plan.RemoveFinalizer {
		fmt.Fprintf(&b, " drop-finalizer %s/%s", r.Name, r.UID)
	}
	for _, r := range plan.Track {
		fmt.Fprintf(&b, " track %s/%s", r.Name, r.UID)
	}
	for _, r := range plan.MarkReady {
		fmt.Fprintf(&b, " mark-ready %s", r.Name)
	}
	if plan.HandBack {
		b.WriteString(" hand-back")
	}
	if b.Len() == n {
		b.WriteString(" nothing")
	}
	st := &plan.Status
	fmt.Fprintf(&b, "; status phase=%s activePod=%q held=%d message=%q", st.Phase, st.ActivePod, st.HeldPods,
		st.Message)
	return b.String()
}

func describeFacts(f *podFacts, ssName string) string {
	var flags []string
	switch {
	case !f.Guarded:
		flags = append(flags, "UNGUARDED")
	case f.Instance != "" && f.Instance != ssName:
		flags = append(flags, "prepared-for="+f.Instance)
	}
	add := func(cond bool, flag string) {
		if cond {
			flags = append(flags, flag)
		}
	}
	add(f.Released, "released")
	add(f.Recorded, "recorded")
	add(!f.Selected, "NOT-SELECTED")
	add(f.Guarded && !f.Released && !f.Stopped && !f.Deleting, "held")
	add(f.HasFinalizer, "finalizer")
	add(f.Deleting, "deleting")
	add(f.Stopped, "stopped:"+f.StopReason)
	add(f.Armed, "armed")
	add(f.ReadyGate, "ready")
	add(f.Revision > 0, "rev"+strconv.FormatInt(f.Revision, 10))
	return fmt.Sprintf("%s/%s %s", f.Name, f.UID, strings.Join(flags, ","))
}

func (realOperator) admit(sss []mSS, p *mPod, fast bool) string {
	items := make([]singletonv1.StatefulSingleton, 0, len(sss))
	for i := range sss {
		items = append(items, *toSingleton(&sss[i]))
	}
	pod := toPod(p)
	pod.Spec = *mcPlainSpec.DeepCopy()
	chosen := podwebhook.Selecting(items, pod.Labels)
	if chosen == nil {
		return "no StatefulSingleton in the webhook's cache selects it: not prepared"
	}
	opts := podwebhook.InjectOptions{Singleton: chosen.Name, GateImage: mcGateImage}
	if fast {
		opts.Supervision = mcSupervision
	}
	if err := podwebhook.Inject(&pod, opts); err != nil {
		return "not prepared: " + err.Error()
	}
	p.managed = podwebhook.IsPrepared(&pod)
	_, p.supervised = podwebhook.SupervisedContainers(&pod)
	p.instance = pod.Labels[singletonv1.LabelInstance]
	p.gated = slices.ContainsFunc(pod.Spec.InitContainers,
		func(c corev1.Container) bool { return c.Name == podwebhook.InstallContainer })
	return "prepared for " + chosen.Name
}

// mcPlainSpec is the workload's pod spec: one container with a command.
var mcPlainSpec = corev1.PodSpec{
	Containers:                    []corev1.Container{{Name: "db", Image: "db:1", Command: []string{"/db", "--serve"}}},
	TerminationGracePeriodSeconds: ptr.To[int64](defaultGrace),
}

// mcGatedSpec is the same spec as the webhook prepares it.
var mcGatedSpec = sync.OnceValue(func() corev1.PodSpec {
	pod := &corev1.Pod{Spec: *mcPlainSpec.DeepCopy()}
	if err := podwebhook.Inject(pod, podwebhook.InjectOptions{Singleton: mcDefaultSS, GateImage: mcGateImage}); err != nil {
		panic(err)
	}
	return pod.Spec
})

// mcSupervision is where the webhook tells a supervising gate the channel is.
var mcSupervision = &podwebhook.Supervision{Operator: "https://10.96.0.10:9443",
	ServerName: "singleton-operator-gate.default.svc", CASHA256: strings.Repeat("0", 64)}

// mcSupervisedSpec is the same spec as the webhook prepares it for the fast hand-over: the gate
// supervises the application and reports to the operator.
var mcSupervisedSpec = sync.OnceValue(func() corev1.PodSpec {
	pod := &corev1.Pod{Spec: *mcPlainSpec.DeepCopy()}
	if err := podwebhook.Inject(pod, podwebhook.InjectOptions{Singleton: mcDefaultSS, GateImage: mcGateImage,
		Supervision: mcSupervision}); err != nil {
		panic(err)
	}
	if _, ok := podwebhook.SupervisedContainers(pod); !ok {
		panic("the webhook did not wrap the application for supervision")
	}
	return pod.Spec
})

// toPod translates a pod of the world into the object the API would return.
func toPod(p *mPod) corev1.Pod {
	created := mcEpoch.Add(time.Duration(p.seq) * time.Second)
	pod := corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: mcNamespace, Name: p.name, UID: types.UID(podUID(p.uid)),
			ResourceVersion:   strconv.Itoa(p.rv),
			CreationTimestamp: metav1.NewTime(created),
			Labels:            map[string]string{},
		},
		Spec: mcPlainSpec,
	}
	switch {
	case p.gated && p.supervised:
		pod.Spec = mcSupervisedSpec()
	case p.gated:
		pod.Spec = mcGatedSpec()
	}
	pod.Spec.NodeName = p.node
	if p.app {
		pod.Labels["app"] = mcWorkload
	}
	if p.managed {
		pod.Labels[singletonv1.LabelManaged] = "true"
	}
	if p.instance != "" {
		pod.Labels[singletonv1.LabelInstance] = p.instance
	}
	switch p.owner {
	case ownerReplicaSet:
		hash := "r" + strconv.Itoa(p.rev)
		pod.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = hash
		pod.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet",
			Name: mcWorkload + "-" + hash, Controller: ptr.To(true)}}
	case ownerStatefulSet:
		pod.Labels[appsv1.ControllerRevisionHashLabelKey] = stsRevisionPrefix + strconv.Itoa(p.rev)
		pod.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet",
			Name: mcWorkload, Controller: ptr.To(true)}}
	}
	if p.release != 0 || p.stopConfirmed != 0 {
		pod.Annotations = map[string]string{}
	}
	if p.release != 0 {
		pod.Annotations[singletonv1.AnnotationRelease] = podUID(p.release)
	}
	if p.stopConfirmed != 0 {
		pod.Annotations[singletonv1.AnnotationStopConfirmed] = podUID(p.stopConfirmed)
	}
	if p.finalizer {
		pod.Finalizers = []string{singletonv1.FinalizerRelease}
	}
	if p.deleting {
		pod.DeletionTimestamp = &metav1.Time{Time: mcNow.Add(-time.Minute)}
		pod.DeletionGracePeriodSeconds = ptr.To[int64](defaultGrace)
		if p.graceDone {
			pod.DeletionGracePeriodSeconds = ptr.To[int64](0)
		}
	}
	pod.Status = podStatus(p, &pod.Spec, created)
	return pod
}

// podStatus is the status the kubelet last reported: init containers done and the container's
// state once started, the phase, and the operator's readiness condition.
func podStatus(p *mPod, spec *corev1.PodSpec, at time.Time) corev1.PodStatus {
	status := corev1.PodStatus{
		Phase: [...]corev1.PodPhase{corev1.PodPending, corev1.PodRunning, corev1.PodSucceeded, corev1.PodFailed}[p.phase],
	}
	if p.ctr != ctrNone {
		for i := range spec.InitContainers {
			status.InitContainerStatuses = append(status.InitContainerStatuses, corev1.ContainerStatus{
				Name: spec.InitContainers[i].Name, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
					ExitCode: 0, FinishedAt: metav1.NewTime(at)}},
			})
		}
		s := corev1.ContainerStatus{Name: spec.Containers[0].Name, RestartCount: int32(p.restarts)}
		if p.ctr == ctrRunning {
			s.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(at)}
		} else {
			s.State.Terminated = &corev1.ContainerStateTerminated{ExitCode: 143, FinishedAt: metav1.NewTime(at)}
		}
		status.ContainerStatuses = []corev1.ContainerStatus{s}
	}
	if p.ready {
		status.Conditions = []corev1.PodCondition{{Type: singletonv1.ReadinessGate, Status: corev1.ConditionTrue}}
	}
	return status
}

// toSingleton translates a StatefulSingleton of the world into the API object.
func toSingleton(s *mSS) *singletonv1.StatefulSingleton {
	app := mcWorkload
	if !s.selects {
		app = "none"
	}
	ss := &singletonv1.StatefulSingleton{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: mcNamespace, Name: s.name, UID: types.UID("ss" + strconv.Itoa(s.uid)),
			ResourceVersion: strconv.Itoa(s.rv), Generation: 1,
			CreationTimestamp: metav1.NewTime(mcEpoch.Add(time.Duration(s.seq) * time.Second)),
		},
		Spec: singletonv1.StatefulSingletonSpec{
			Selector:               metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
			TerminationGracePeriod: defaultGrace, MaxTransitionTime: 300,
			RespectPodGracePeriod: ptr.To(true), TimeoutAction: singletonv1.TimeoutActionHold,
		},
	}
	if s.deleting {
		ss.DeletionTimestamp = &metav1.Time{Time: mcNow.Add(-time.Minute)}
	}
	if s.finalizer {
		ss.Finalizers = []string{singletonv1.FinalizerHandBack}
	}
	if st, ok := s.status.val.(*singletonv1.StatefulSingletonStatus); ok {
		ss.Status = *st
	}
	return ss
}

// cacheReader serves gather's reads from the operator's caches in the model: pods by label
// selector, nodes, ReplicaSets and the StatefulSet by name. Any other call panics.
type cacheReader struct {
	client.Client
	pods       []corev1.Pod
	singletons []singletonv1.StatefulSingleton
	nodes      []mNode
	rs         map[string]*appsv1.ReplicaSet
	sts        *appsv1.StatefulSet
}

func newCacheReader(v cacheView) *cacheReader {
	r := &cacheReader{nodes: v.nodes, rs: map[string]*appsv1.ReplicaSet{}}
	for i := range v.sss {
		r.singletons = append(r.singletons, *toSingleton(&v.sss[i]))
	}
	for i := range v.pods {
		p := &v.pods[i]
		r.pods = append(r.pods, toPod(p))
		switch o := v.owner(p); {
		case !o.found:
		case o.kind == ownerReplicaSet:
			name := mcWorkload + "-r" + strconv.Itoa(o.rev)
			r.rs[name] = &appsv1.ReplicaSet{
				ObjectMeta: metav1.ObjectMeta{Namespace: mcNamespace, Name: name,
					Annotations: map[string]string{deploymentRevisionAnnotation: strconv.Itoa(o.rev)}},
				Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To(int32(o.replicas))},
			}
		case o.kind == ownerStatefulSet:
			r.sts = &appsv1.StatefulSet{
				ObjectMeta: metav1.ObjectMeta{Namespace: mcNamespace, Name: mcWorkload},
				Spec:       appsv1.StatefulSetSpec{Replicas: ptr.To(int32(o.replicas))},
				Status:     appsv1.StatefulSetStatus{UpdateRevision: stsRevisionPrefix + strconv.Itoa(o.rev)},
			}
		}
	}
	return r
}

func (r *cacheReader) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	switch o := obj.(type) {
	case *corev1.Pod:
		for i := range r.pods {
			if r.pods[i].Name == key.Name && r.pods[i].Namespace == key.Namespace {
				*o = r.pods[i]
				return nil
			}
		}
		return apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, key.Name)
	case *corev1.Node:
		for _, n := range r.nodes {
			if n.name == key.Name {
				*o = corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n.name}}
				if n.oos {
					o.Spec.Taints = []corev1.Taint{{Key: singletonv1.TaintOutOfService, Value: "nodeshutdown",
						Effect: corev1.TaintEffectNoExecute}}
				}
				return nil
			}
		}
		return apierrors.NewNotFound(schema.GroupResource{Resource: "nodes"}, key.Name)
	case *appsv1.ReplicaSet:
		if rs, ok := r.rs[key.Name]; ok {
			*o = *rs
			return nil
		}
		return apierrors.NewNotFound(schema.GroupResource{Group: "apps", Resource: "replicasets"}, key.Name)
	case *appsv1.StatefulSet:
		if r.sts != nil && r.sts.Name == key.Name {
			*o = *r.sts
			return nil
		}
		return apierrors.NewNotFound(schema.GroupResource{Group: "apps", Resource: "statefulsets"}, key.Name)
	}
	panic(fmt.Sprintf("the model's cache reader cannot get a %T", obj))
}

func (r *cacheReader) List(_ context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if ssList, ok := list.(*singletonv1.StatefulSingletonList); ok {
		ssList.Items = slices.Clone(r.singletons)
		return nil
	}
	podList, ok := list.(*corev1.PodList)
	if !ok {
		panic(fmt.Sprintf("the model's cache reader cannot list %T", list))
	}
	lo := &client.ListOptions{}
	lo.ApplyOptions(opts)
	podList.Items = nil
	for i := range r.pods {
		p := &r.pods[i]
		if lo.Namespace != "" && p.Namespace != lo.Namespace {
			continue
		}
		if lo.LabelSelector != nil && !lo.LabelSelector.Matches(labels.Set(p.Labels)) {
			continue
		}
		podList.Items = append(podList.Items, *p)
	}
	return nil
}

// describeStatus says what a StatefulSingleton's status holds, for the final state of a trace.
func describeStatus(s ssStatus) string {
	st, ok := s.val.(*singletonv1.StatefulSingletonStatus)
	if !ok || st == nil {
		return "status empty"
	}
	return fmt.Sprintf("status phase=%s activePod=%q held=%d", st.Phase, st.ActivePod, st.HeldPods)
}
