package apps

// The events of the world: their kinds, which are enabled in a state (successors), and how one
// changes the world (apply). The kubelets' and nodes' events are in modelcheck_kubelet_test.go,
// the workload controllers' and admins' in modelcheck_actors_test.go; the operator's and its
// caches' are here.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// evKind is a kind of event.
type evKind uint8

// The kinds of events, in the order successors lists them.
const (
	// The operator.
	evReconcile      evKind = iota // one reconcile of one StatefulSingleton, atomic
	evReconcileBegin               // a reconcile decides (caches, ledger snapshot); its writes go later
	evReconcileEnd                 // the begun reconcile sends its writes
	evCrashMid                     // a reconcile that sends only its first writes, then the process dies
	evRestart                      // the operator (re)starts: fresh caches, nothing in memory
	evDepose                       // the leader is deposed with a write in flight; a new leader starts
	evLateWrite                    // the deposed leader's write lands
	evSyncPods                     // the pod cache catches up with the API
	evSyncPodsOne                  // the pod cache applies one more watch event
	evSyncSingletons
	evSyncSingletonsOne
	evSyncNodes
	evSyncNodesOne
	// The webhook.
	evWebhookDown
	evWebhookUp
	// The workload controllers and the scheduler.
	evRSCreate
	evRSDelete
	evDeployProgress
	evRolloutRestart
	evSTSCreate
	evSTSDelete
	evSTSRolloutRestart
	evSchedule
	// The kubelets.
	evStart
	evGateOpen
	evCrash
	evRestartContainer
	evReport
	evKill
	evKillOrphan
	// The fast hand-over's channel (modelcheck_gate_test.go).
	evGateHello    // a supervising gate opens a session
	evGateRegister // a gate sends its request again (a start request, an exit report)
	evDeliver      // a message of the channel arrives
	evLoseMsg      // a message of the channel is lost
	evDupMsg       // a message of the channel is sent twice
	evServerCommit // the server commits a start request it checked to its ledger
	evGateExit     // a gate that reported its application's exit exits: its container stops
	evServerSweep  // the server forgets what it holds about a pod its cache no longer shows
	evOOMKill      // a container is killed whole, its gate with it: no marker, no report
	evImpostor     // someone without the pod's token sends an exit report for it
	// Nodes.
	evNodeLost
	evNodeRecover
	evTaint
	evUntaint
	evDeleteNode
	evPodGC
	// Admins and users.
	evForceDelete
	evDeletePod
	evStripFinalizer
	evCreateSS
	evDeleteSS
	evEditSelector
	evRelabelOut
	evLabelManaged
	numEvKinds
)

var evKindNames = [numEvKinds]string{
	"reconcile", "reconcile-begin", "reconcile-end", "crash-mid-reconcile", "operator-restart", "depose-leader", "late-write",
	"sync-pods", "sync-pods-one", "sync-singletons", "sync-singletons-one", "sync-nodes", "sync-nodes-one",
	"webhook-down", "webhook-up",
	"rs-create", "rs-delete", "deployment-progress", "rollout-restart", "sts-create", "sts-delete",
	"sts-rollout-restart", "schedule",
	"kubelet-start", "gate-open", "crash", "restart-container", "kubelet-report", "kubelet-kill", "kill-orphan",
	"gate-hello", "gate-send", "deliver", "lose-message", "duplicate-message", "server-commit", "gate-exit",
	"server-sweep", "oom-kill",
	"impostor",
	"node-lost", "node-recover", "taint-out-of-service", "untaint", "delete-node", "pod-gc",
	"force-delete", "delete-pod", "strip-finalizer", "create-singleton", "delete-singleton", "edit-selector",
	"relabel-out", "label-managed",
}

func (k evKind) String() string { return evKindNames[k] }

// kindSet is a set of event kinds.
type kindSet uint64

func kinds(ks ...evKind) kindSet {
	var s kindSet
	for _, k := range ks {
		s |= 1 << k
	}
	return s
}

func (s kindSet) has(k evKind) bool { return s&(1<<k) != 0 }

// Groups of kinds that scenarios enable together.
var (
	operatorKinds = kinds(evReconcile)
	kubeletKinds  = kinds(evStart, evGateOpen, evReport, evKill, evKillOrphan)
	deployKinds   = kinds(evRSCreate, evRSDelete, evDeployProgress, evSchedule)
	stsKinds      = kinds(evSTSCreate, evSTSDelete, evSchedule)
	syncKinds     = kinds(evSyncPods, evSyncPodsOne, evSyncSingletons, evSyncSingletonsOne, evSyncNodes,
		evSyncNodesOne)
	// channelKinds move the fast path's channel: sessions, start requests, deliveries.
	channelKinds = kinds(evGateHello, evGateRegister, evDeliver, evServerCommit, evGateExit, evServerSweep)
	// progressKinds are the events that move a healthy world forward: the builder applies them
	// until nothing changes.
	progressKinds = operatorKinds | kubeletKinds | deployKinds | stsKinds | syncKinds | channelKinds
)

// mcEvent is one event: its kind, and the object it acts on (a pod, node or StatefulSingleton
// name; n is a UID, a ReplicaSet revision or a count of writes).
type mcEvent struct {
	kind   evKind
	target string
	n      int
}

func (e mcEvent) String() string {
	s := e.kind.String()
	if e.target != "" {
		s += " " + e.target
	}
	if e.n != 0 {
		s += " " + strconv.Itoa(e.n)
	}
	return s
}

// successors lists the events enabled in the world, in a fixed order.
func (w *world) successors(env *env) []mcEvent {
	var out []mcEvent
	for k := range numEvKinds {
		if !w.cfg.enabled.has(k) || w.budget[k] == 0 {
			continue
		}
		out = w.appendEnabled(out, env, k)
	}
	return out
}

// appendEnabled appends the events of kind k enabled in the world.
func (w *world) appendEnabled(out []mcEvent, env *env, k evKind) []mcEvent {
	switch k {
	case evReconcile, evReconcileBegin, evReconcileEnd, evCrashMid, evRestart, evDepose, evLateWrite, evSyncPods,
		evSyncPodsOne, evSyncSingletons, evSyncSingletonsOne, evSyncNodes, evSyncNodesOne, evWebhookDown, evWebhookUp:
		return w.operatorEvents(out, env, k)
	case evGateHello, evGateRegister, evDeliver, evLoseMsg, evDupMsg, evServerCommit, evGateExit, evServerSweep,
		evOOMKill, evImpostor:
		return w.gateEvents(out, k)
	case evRSCreate, evRSDelete, evDeployProgress, evRolloutRestart, evSTSCreate, evSTSDelete,
		evSTSRolloutRestart, evSchedule:
		return w.workloadEvents(out, k)
	case evStart, evGateOpen, evCrash, evRestartContainer, evReport, evKill, evKillOrphan:
		return w.kubeletEvents(out, k)
	case evNodeLost, evNodeRecover, evTaint, evUntaint, evDeleteNode, evPodGC:
		return w.nodeEvents(out, k)
	default:
		return w.adminEvents(out, k)
	}
}

// apply makes the event happen, and says what happened, for a trace. describe asks for the
// writes of the operator in detail too.
func (w *world) apply(env *env, e mcEvent, describe bool) string {
	if w.budget[e.kind] > 0 {
		w.budget[e.kind]--
	}
	var desc string
	switch e.kind {
	case evReconcile, evReconcileBegin, evReconcileEnd, evCrashMid, evRestart, evDepose, evLateWrite, evSyncPods,
		evSyncPodsOne, evSyncSingletons, evSyncSingletonsOne, evSyncNodes, evSyncNodesOne, evWebhookDown, evWebhookUp:
		desc = w.applyOperator(env, e, describe)
	case evGateHello, evGateRegister, evDeliver, evLoseMsg, evDupMsg, evServerCommit, evGateExit, evServerSweep,
		evOOMKill, evImpostor:
		desc = w.applyGate(e)
	case evRSCreate, evRSDelete, evDeployProgress, evRolloutRestart, evSTSCreate, evSTSDelete,
		evSTSRolloutRestart, evSchedule:
		desc = w.applyWorkload(env, e)
	case evStart, evGateOpen, evCrash, evRestartContainer, evReport, evKill, evKillOrphan:
		desc = w.applyKubelet(e)
	case evNodeLost, evNodeRecover, evTaint, evUntaint, evDeleteNode, evPodGC:
		desc = w.applyNode(e)
	default:
		desc = w.applyAdmin(e)
	}
	w.gcRuntimes()
	w.dropAbandoned()
	w.catchUpCaches()
	return desc
}

// reconcileTargets lists the StatefulSingletons the operator would reconcile: those in the API
// or its cache, and those whose pods in its cache still carry a release finalizer.
func (w *world) reconcileTargets() []string {
	var out []string
	for _, name := range w.cfg.singletons {
		if w.ss(name) != nil || cacheHas(w.op.sss.objs, name) {
			out = append(out, name)
			continue
		}
		for i := range w.op.pods.objs {
			if p := &w.op.pods.objs[i]; p.instance == name && p.finalizer {
				out = append(out, name)
				break
			}
		}
	}
	return out
}

func cacheHas[T keyed](objs []T, name string) bool {
	for i := range objs {
		if objs[i].key() == name {
			return true
		}
	}
	return false
}

func (w *world) operatorEvents(out []mcEvent, env *env, k evKind) []mcEvent {
	if !w.op.up && k != evRestart && k != evLateWrite && k != evWebhookDown && k != evWebhookUp {
		return out
	}
	switch k {
	case evReconcile, evReconcileBegin:
		// One reconcile at a time: the begun one ends first.
		if w.op.begun == nil {
			for _, name := range w.reconcileTargets() {
				out = append(out, mcEvent{kind: k, target: name})
			}
		}
	case evReconcileEnd:
		if w.op.begun != nil {
			out = append(out, mcEvent{kind: k, target: w.op.begun.name})
		}
	case evCrashMid:
		for _, name := range w.reconcileTargets() {
			for n := 1; n < len(env.decide(w, name).writes); n++ {
				out = append(out, mcEvent{kind: k, target: name, n: n})
			}
		}
	case evDepose:
		if len(w.op.pending) > 0 {
			break
		}
		for _, name := range w.reconcileTargets() {
			for n := 1; n <= len(env.decide(w, name).writes); n++ {
				out = append(out, mcEvent{kind: k, target: name, n: n})
			}
		}
	case evRestart:
		out = append(out, mcEvent{kind: k})
	case evLateWrite:
		if len(w.op.pending) > 0 {
			out = append(out, mcEvent{kind: k})
		}
	case evSyncPods, evSyncSingletons, evSyncNodes:
		if w.queueLen(k) > 0 {
			out = append(out, mcEvent{kind: k})
		}
	case evSyncPodsOne, evSyncSingletonsOne, evSyncNodesOne:
		// With a single event queued, this is the same as catching up.
		if w.queueLen(k) > 1 {
			out = append(out, mcEvent{kind: k})
		}
	case evWebhookDown:
		if w.webhookUp {
			out = append(out, mcEvent{kind: k})
		}
	case evWebhookUp:
		if !w.webhookUp {
			out = append(out, mcEvent{kind: k})
		}
	}
	return out
}

func (w *world) queueLen(k evKind) int {
	switch k {
	case evSyncPods, evSyncPodsOne:
		return len(w.op.pods.queue)
	case evSyncSingletons, evSyncSingletonsOne:
		return len(w.op.sss.queue)
	}
	return len(w.op.nodes.queue)
}

func (w *world) applyOperator(env *env, e mcEvent, describe bool) string {
	switch e.kind {
	case evReconcile:
		return w.reconcile(env, e.target, -1, describe)
	case evReconcileBegin:
		dec := env.decide(w, e.target)
		for i := range w.op.ledger {
			w.op.ledger[i].fresh = false
		}
		begun := dec
		begun.summary = "" // the trace below says it; the state keeps only what is sent
		w.op.begun = &begunReconcile{name: e.target, dec: begun}
		if !describe {
			return ""
		}
		return "operator begins a reconcile of " + e.target + ": " + dec.summary + " (its writes follow)"
	case evReconcileEnd:
		b := w.op.begun
		s := w.send(b.dec, -1, describe, "operator sends the writes of its reconcile of "+b.name+": ")
		w.op.begun = nil
		for i := range w.op.ledger {
			w.op.ledger[i].fresh = false
		}
		return s
	case evCrashMid:
		s := w.reconcile(env, e.target, e.n, describe)
		w.op = mOperator{pending: w.op.pending}
		w.forgetChannel()
		return s + "; the operator dies before the rest"
	case evRestart:
		w.op = mOperator{up: true, pending: w.op.pending}
		w.forgetChannel()
		w.freshCaches()
		return "operator restarts: caches listed afresh, nothing in memory (no ledger, no session)"
	case evDepose:
		dec := env.decide(w, e.target)
		lines, aborted, _ := w.execute(dec.writes, e.n-1, describe)
		s := "operator (leader) reconciles " + e.target + ": " + dec.summary
		if !aborted {
			w.op.pending = []apiWrite{dec.writes[e.n-1]}
			s += "; " + describeWrites(lines, false, -1, len(lines)) + "; then it loses its lease with \"" +
				dec.writes[e.n-1].String() + "\" in flight, and a new leader starts with fresh caches"
		}
		w.op = mOperator{up: true, pending: w.op.pending}
		w.forgetChannel()
		w.freshCaches()
		return s
	case evLateWrite:
		wr := w.op.pending[0]
		w.op.pending = nil
		if wr.op == opPush {
			w.push(wr.uid, true)
			return "the deposed leader pushes the release of " + podUID(wr.uid) + " to the sessions it still holds"
		}
		res, _ := w.write(&wr)
		return "the deposed leader's write lands: " + wr.String() + ": " + res.String()
	case evSyncPods:
		w.forgetGonePods(w.op.pods.queue)
		w.op.pods.deliver(len(w.op.pods.queue))
		return "pod cache catches up"
	case evSyncPodsOne:
		ev := w.op.pods.queue[0]
		w.forgetGonePods(w.op.pods.queue[:1])
		w.op.pods.deliver(1)
		return "pod cache receives one watch event: " + describeCachedPod(ev)
	case evSyncSingletons:
		w.op.sss.deliver(len(w.op.sss.queue))
		return "StatefulSingleton cache catches up"
	case evSyncSingletonsOne:
		ev := w.op.sss.queue[0]
		w.op.sss.deliver(1)
		return "StatefulSingleton cache receives one watch event: " + ev.obj.name
	case evSyncNodes:
		w.op.nodes.deliver(len(w.op.nodes.queue))
		return "node cache catches up"
	case evSyncNodesOne:
		w.op.nodes.deliver(1)
		return "node cache receives one watch event"
	case evWebhookDown:
		w.webhookUp = false
		return "webhook goes down"
	case evWebhookUp:
		w.webhookUp = true
		return "webhook comes up"
	}
	return "?"
}

func describeCachedPod(ev watchEvent[mPod]) string {
	if ev.gone {
		return ev.obj.String() + " deleted"
	}
	return ev.obj.String() + " " + describePodObject(&ev.obj)
}

// reconcile runs one reconcile of the StatefulSingleton from the operator's caches, and sends
// its writes (at most limit of them; limit < 0: all).
func (w *world) reconcile(env *env, name string, limit int, describe bool) string {
	dec := env.decide(w, name)
	return w.send(dec, limit, describe, "operator reconciles "+name+": "+dec.summary+" => ")
}

// send sends the writes of a decision (at most limit of them; limit < 0: all) and keeps its
// memory.
func (w *world) send(dec reconcileDecision, limit int, describe bool, prefix string) string {
	lines, aborted, results := w.execute(dec.writes, limit, describe)
	w.op.memory = dec.memory
	// The operator remembers a release it pushed or wrote until its cache shows it, and whether
	// it wrote its annotation.
	for _, step := range dec.memorySteps {
		if step.write < len(results) && results[step.write] == writeOK {
			w.op.memory = step.memory
		}
	}
	if !describe {
		return ""
	}
	return prefix + describeWrites(lines, aborted, limit, len(dec.writes))
}

// describePodObject says, in a few words, what a pod object holds.
func describePodObject(p *mPod) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[node=%s", p.node)
	if p.gated {
		b.WriteString(" gated")
	}
	if p.managed {
		b.WriteString(" managed=" + p.instance)
	}
	if !p.app {
		b.WriteString(" app-label-removed")
	}
	if p.release != 0 {
		b.WriteString(" release=" + podUID(p.release))
	}
	if p.finalizer {
		b.WriteString(" finalizer")
	}
	if p.deleting {
		b.WriteString(" deleting")
		if p.graceDone {
			b.WriteString("(grace 0)")
		}
	}
	fmt.Fprintf(&b, " phase=%s ctr=%s", p.phase, p.ctr)
	if p.restarts > 0 {
		fmt.Fprintf(&b, " restarts=%d", p.restarts)
	}
	if p.ready {
		b.WriteString(" ready")
	}
	b.WriteString("]")
	return b.String()
}

// forgetGonePods is the operator's pod watch handler (podGone) on the events the pod cache
// applies: a pod whose removal it sees leaves the operator's release ledger. A reconcile that
// decided before may still add it back when its writes go (as a push racing the deletion does).
func (w *world) forgetGonePods(events []watchEvent[mPod]) {
	for _, ev := range events {
		if !ev.gone || w.op.memory == "" {
			continue
		}
		uids := strings.Split(w.op.memory, ",")
		w.op.memory = strings.Join(slices.DeleteFunc(uids, func(u string) bool {
			uid, _ := parseMemoryEntry(u)
			return uid == podUID(ev.obj.uid)
		}), ",")
	}
}
