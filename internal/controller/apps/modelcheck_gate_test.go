package apps

// The fast hand-over's channel (docs/design.md S6, internal/gatewire): the supervising gate in
// each application container of a pod the webhook wrapped for it, the messages between the
// gates and the operator's channel server, and that server with its in-memory ledger.
//
// A supervising gate counts its starts and keeps the exit-reported marker in the pod's
// StateDir, which outlives the container's restarts. It opens a session (a Hello naming its
// start, which registers it) with the operator that runs now. When its application exits (a
// crash, or the kubelet's kill on a deletion), it writes the marker, then reports the exit on
// its session while its container still runs, and exits later (answered, or after two seconds).
// A start that finds the marker sends a start request and starts the application only on a
// verdict that allows it. Messages are delivered in any order (late), lost or duplicated, but a
// request reaches the server only while the gate that sent it still waits for the answer (it
// dies with its connection); an impostor without the pod's token sends reports too. The server
// refuses what the TokenReview refuses, takes a request naming a session it does not know (an
// earlier process's) on the token's word, as the real one does, and keeps the ledger: per pod,
// the latest registered start and whether its exit was reported, and whether a decision
// consumed the pod's reports, after which it refuses every start. It checks a start request
// against its pod cache (refused for a pod being deleted) and commits it to the ledger in a
// separate step, as the real handler reads the cache outside the ledger's lock. The operator
// loses its ledger and sessions when it restarts. The ledger is the real one
// (gatechannel.Ledger), which the adapter (modelcheck_operator_test.go) rebuilds from the
// world's canonical entries for each call: ledgerOpened, ledgerExited, ledgerStarted, consume.

import (
	"fmt"
	"slices"
	"strconv"
)

// maxStarts caps the start count the model tells apart; scenarios bound the restarts well below.
const maxStarts = 7

// gateState is what the supervising gate of a pod's application container holds.
type gateState struct {
	// starts is the count in StateDir: the current start of the container, from 1.
	starts uint8
	// marker: StateDir holds the exit-reported marker (an earlier start reported its exit).
	marker bool
	// session: the gate holds a session with the operator that runs now.
	session bool
	// awaitVerdict: this start found the marker and waits for a verdict before its
	// application may start; refused: the verdict refused it, the gate holds for good.
	awaitVerdict bool
	refused      bool
	// reporting: the application exited; the gate, still running, reports the exit (for at
	// most two seconds) and then exits with the application's status.
	reporting bool
	// pushed: the operator pushed this start the release over its session; the gate then
	// lets the application start as on the release annotation.
	pushed bool
}

// msgKind is the kind of a message of the channel.
type msgKind uint8

const (
	msgExit    msgKind = iota // an ExitReport, gate to operator
	msgStart                  // a StartRequest, gate to operator
	msgVerdict                // a Verdict, operator to gate
)

// gateMsg is one message in flight.
type gateMsg struct {
	kind  msgKind
	uid   int   // the pod whose gate sent it, or that it answers
	start uint8 // the start of the container it is about
	// session: sent on a session the operator that runs now opened (false: an earlier
	// operator's, which the server does not know).
	session bool
	// forged: sent by an impostor, with no valid token of the pod.
	forged  bool
	allowed bool // a verdict's answer
	// deleting: for a start request the server checked, whether its cache showed the pod
	// being deleted then.
	deleting bool
}

func (m *gateMsg) String() string {
	s := ""
	switch m.kind {
	case msgExit:
		s = "exit report of " + podUID(m.uid) + " start " + strconv.Itoa(int(m.start))
	case msgStart:
		s = "start request of " + podUID(m.uid) + " start " + strconv.Itoa(int(m.start))
	case msgVerdict:
		s = fmt.Sprintf("verdict allowed=%t for %s start %d", m.allowed, podUID(m.uid), m.start)
	}
	if m.kind != msgVerdict && !m.session {
		s += " (on an earlier operator's session)"
	}
	if m.forged {
		s += " (forged by an impostor)"
	}
	return s
}

// ledgerEntry is what the channel server's ledger (gatechannel.Ledger) holds about one pod and
// its application container, in a canonical form the world can copy and hash; the adapter
// (modelcheck_operator_test.go) rebuilds the real ledger from it for every call.
type ledgerEntry struct {
	uid int
	// latest is the container's latest registered start; exited: its exit was reported.
	latest uint8
	exited bool
	// consumed: a decision rested on this pod's reports; no start of it is allowed any more.
	consumed bool
	// fresh: a start was registered since the snapshot of the reconcile begun and not ended.
	fresh bool
}

// brokenPiece names a safety piece of the fast path that a scenario removes, to show the
// checker sees what it guards against.
type brokenPiece uint8

const (
	// brokenNoDeletion: the decision takes the reports for a proof without the pod's deletion
	// requested (the adapter's decision, modelcheck_operator_test.go).
	brokenNoDeletion brokenPiece = 1 << iota
	// brokenNoMarker: a restarted container starts its application without registering the
	// start, though an earlier start reported its exit.
	brokenNoMarker
	// brokenNoConsume: the release does not consume the proof (the adapter's writes).
	brokenNoConsume
	// brokenTrustsImpostor: the server takes reports without checking the token.
	brokenTrustsImpostor
	// brokenLateDelivery: a request reaches the server after its gate stopped waiting for the
	// answer (a proxy that retries it late): the server takes a request naming a session it does
	// not know on the token's word, which is safe only while the gate that sent it still runs.
	brokenLateDelivery
	// brokenHelloNoStart: a session's Hello does not register the start it names (only start
	// requests and reports do), leaving Consume as the only guard of a start racing a decision.
	brokenHelloNoStart
	// brokenPushBeforeRecord: a release is pushed to the pod's gates before the status records
	// it (the adapter's writes), against S2.
	brokenPushBeforeRecord
)

func (b brokenPiece) has(piece brokenPiece) bool { return b&piece != 0 }

// begunReconcile is a reconcile decided from the caches and the ledger, whose writes are not
// sent yet (the real one writes the status and the pods over some milliseconds, while the
// channel server goes on).
type begunReconcile struct {
	name string
	dec  reconcileDecision
}

func (e *encoder) gate(g *gateState) {
	e.int(int(g.starts))
	e.bool(g.marker)
	e.bool(g.session)
	e.bool(g.awaitVerdict)
	e.bool(g.refused)
	e.bool(g.reporting)
	e.bool(g.pushed)
}

func (e *encoder) msg(m *gateMsg) {
	e.int(int(m.kind))
	e.int(m.uid)
	e.int(int(m.start))
	e.bool(m.session)
	e.bool(m.forged)
	e.bool(m.allowed)
	e.bool(m.deleting)
}

func (e *encoder) ledgerEntry(l *ledgerEntry) {
	e.int(l.uid)
	e.int(int(l.latest))
	e.bool(l.exited)
	e.bool(l.consumed)
	e.bool(l.fresh)
}

// supervisedRuntime reports whether the runtime's container runs the supervising gate: its pod
// was wrapped for the fast path (the kubelet runs the spec it was given).
func (w *world) supervisedRuntime(rt *mRuntime) bool {
	return rt.supervised
}

// gateStarts is what the gate does when the kubelet starts (or restarts) the container: it
// counts the start, and a start that finds the marker waits for a verdict.
func (w *world) gateStarts(rt *mRuntime) {
	if !w.supervisedRuntime(rt) {
		return
	}
	g := &rt.gate
	g.starts = min(g.starts+1, maxStarts)
	g.session, g.refused, g.pushed = false, false, false
	g.awaitVerdict = g.marker && !w.cfg.broken.has(brokenNoMarker)
}

// gateMayStart reports whether the gate lets the application start once released: not while
// it waits for a verdict, nor after a refusal, nor once its application exited.
func gateMayStart(rt *mRuntime) bool {
	return !rt.gate.awaitVerdict && !rt.gate.refused && !rt.gate.reporting
}

// gateAppExited is what the gate does when the application's process tree is gone (it
// exited, or the kubelet's kill stopped it): the marker, then the report on its session (or on
// the next one it opens), while the container still runs; the gate exits later (evGateExit). It
// reports whether the container still runs.
func (w *world) gateAppExited(rt *mRuntime) (string, bool) {
	if !w.supervisedRuntime(rt) {
		return "", false
	}
	g := &rt.gate
	g.marker, g.reporting = true, true
	s := "; its gate writes the exit-reported marker"
	if g.session {
		w.net = append(w.net, gateMsg{kind: msgExit, uid: rt.uid, start: g.starts, session: true})
		s += " and reports the exit of start " + strconv.Itoa(int(g.starts))
	} else {
		s += " and opens a session to report the exit"
	}
	return s, true
}

// gateDies is what becomes of the gate when its container stops without the application
// exiting under it (the gate held, or the container was killed whole).
func gateDies(rt *mRuntime) {
	rt.gate.session, rt.gate.reporting, rt.gate.awaitVerdict, rt.gate.pushed = false, false, false, false
}

// awaits reports whether the gate that sent a request still waits for its answer: only then
// can the request reach the server (the request dies with its connection).
func (w *world) awaits(m *gateMsg) bool {
	if m.forged || m.kind == msgVerdict || w.cfg.broken.has(brokenLateDelivery) {
		return true
	}
	rt := w.runtime(m.uid)
	if rt == nil || rt.ctr != ctrRunning || rt.gate.starts != m.start {
		return false
	}
	return m.kind == msgExit && rt.gate.reporting || m.kind == msgStart && rt.gate.awaitVerdict
}

// dropAbandoned drops the requests whose gates stopped waiting for them.
func (w *world) dropAbandoned() {
	if !slices.ContainsFunc(w.net, func(m gateMsg) bool { return !w.awaits(&m) }) {
		return
	}
	w.net = slices.DeleteFunc(slices.Clone(w.net), func(m gateMsg) bool { return !w.awaits(&m) })
}

// gateEvents lists the enabled events of the channel of kind k.
func (w *world) gateEvents(out []mcEvent, k evKind) []mcEvent {
	switch k {
	case evGateHello, evGateRegister, evGateExit, evOOMKill, evImpostor:
		for i := range w.rts {
			rt := &w.rts[i]
			if w.gateCan(k, rt) {
				out = append(out, mcEvent{kind: k, target: rt.pod, n: rt.uid})
			}
		}
	case evDeliver:
		for i := range w.net {
			if w.net[i].kind == msgVerdict || w.op.up && w.awaits(&w.net[i]) {
				out = append(out, mcEvent{kind: k, target: podUID(w.net[i].uid), n: i + 1})
			}
		}
	case evLoseMsg, evDupMsg:
		for i := range w.net {
			out = append(out, mcEvent{kind: k, target: podUID(w.net[i].uid), n: i + 1})
		}
	case evServerCommit:
		if w.op.up {
			for i := range w.op.registering {
				out = append(out, mcEvent{kind: k, target: podUID(w.op.registering[i].uid), n: i + 1})
			}
		}
	case evServerSweep:
		if w.op.up {
			for i := range w.op.ledger {
				if uid := w.op.ledger[i].uid; !w.serverCacheHas(uid) {
					out = append(out, mcEvent{kind: k, target: podUID(uid), n: uid})
				}
			}
		}
	}
	return out
}

// serverCacheHas reports whether the server's cache (the operator's pod cache) holds the pod.
func (w *world) serverCacheHas(uid int) bool {
	return slices.ContainsFunc(w.op.pods.objs, func(p mPod) bool { return p.uid == uid })
}

// gateCan reports whether the gate of a runtime can take a step of kind k.
func (w *world) gateCan(k evKind, rt *mRuntime) bool {
	if !w.supervisedRuntime(rt) || !w.kubeletUp(rt.node) {
		return false
	}
	g := &rt.gate
	switch k {
	case evGateHello:
		// The Hello is refused for a pod the server's cache does not show (yet): the gate
		// tries again later.
		return rt.ctr == ctrRunning && !g.session && w.op.up && w.serverKnowsPod(rt.uid)
	case evGateRegister:
		// One request at a time; a lost one (or its lost verdict) is sent again. So is a lost
		// exit report, or one the gate had no session for.
		return rt.ctr == ctrRunning && (g.awaitVerdict || g.reporting) && g.session &&
			!w.requestPending(rt.uid, g.starts)
	case evGateExit:
		return g.reporting
	case evOOMKill:
		return rt.ctr == ctrRunning
	case evImpostor:
		return rt.ctr == ctrRunning && w.podByUID(rt.uid) != nil
	}
	return false
}

// requestPending reports whether a request of the container's start, or a verdict, is on its
// way.
func (w *world) requestPending(uid int, start uint8) bool {
	for _, list := range [][]gateMsg{w.net, w.op.registering} {
		for _, m := range list {
			if m.uid == uid && m.start == start && !m.forged {
				return true
			}
		}
	}
	return false
}

// serverPod returns the pod of that UID as the server's cache (the operator's pod cache) shows
// it, wrapped for the fast path; nil when it does not.
func (w *world) serverPod(uid int) *mPod {
	for i := range w.op.pods.objs {
		if p := &w.op.pods.objs[i]; p.uid == uid && p.gated && p.supervised {
			return p
		}
	}
	return nil
}

func (w *world) serverKnowsPod(uid int) bool { return w.serverPod(uid) != nil }

// push is the release of a pod pushed by the operator's channel server: remembered, and told to
// the gate of every session the pod's containers hold. The stream delivers it at once as far as
// the model tells: the gate opens in a step of its own (evGateOpen), and a container that starts
// again loses it with its session. late: the push of a deposed leader, whose sessions the model
// no longer knows: every running gate of the pod may get it.
func (w *world) push(uid int, late bool) {
	if !late && !slices.Contains(w.op.released, uid) {
		i, _ := slices.BinarySearch(w.op.released, uid)
		w.op.released = slices.Insert(slices.Clone(w.op.released), i, uid)
	}
	if rt := w.runtime(uid); rt != nil && w.supervisedRuntime(rt) && rt.ctr == ctrRunning && (rt.gate.session || late) {
		rt.gate.pushed = true
	}
}

// forgetChannel is what an operator restart does to the channel: the ledger and the requests
// it was handling are gone, and no session the gates hold, or that a request in flight names,
// is known to the new process.
func (w *world) forgetChannel() {
	w.op.ledger, w.op.registering, w.op.begun, w.op.released = nil, nil, nil, nil
	for i := range w.rts {
		w.rts[i].gate.session = false
	}
	w.net = slices.Clone(w.net)
	for i := range w.net {
		if w.net[i].kind != msgVerdict {
			w.net[i].session = false
		}
	}
}

func (w *world) applyGate(e mcEvent) string {
	switch e.kind {
	case evDeliver:
		m := w.net[e.n-1]
		w.net = slices.Delete(w.net, e.n-1, e.n)
		return w.deliver(m)
	case evLoseMsg:
		m := w.net[e.n-1]
		w.net = slices.Delete(w.net, e.n-1, e.n)
		return "the channel loses the " + m.String()
	case evDupMsg:
		m := w.net[e.n-1]
		w.net = append(w.net, m)
		return "the channel duplicates the " + m.String()
	case evServerSweep:
		w.ledgerForget(e.n)
		return "the server's sweep forgets " + podUID(e.n) + ", whose object its cache no longer shows"
	case evServerCommit:
		m := w.op.registering[e.n-1]
		w.op.registering = slices.Delete(w.op.registering, e.n-1, e.n)
		return w.commitStart(m)
	}
	rt := w.runtime(e.n)
	g := &rt.gate
	switch e.kind {
	case evGateHello:
		g.session = true
		s := fmt.Sprintf("the gate of %s (%s) opens a session: Hello start %d", podUID(rt.uid), rt.pod, g.starts)
		if slices.Contains(w.op.released, rt.uid) {
			g.pushed = true
			s += "; the server pushes it the release"
		}
		if w.cfg.broken.has(brokenHelloNoStart) {
			return s
		}
		w.ledgerOpened(rt.uid, g.starts)
		return s
	case evGateRegister:
		if g.reporting {
			w.net = append(w.net, gateMsg{kind: msgExit, uid: rt.uid, start: g.starts, session: true})
			return fmt.Sprintf("the gate of %s (%s) reports the exit of start %d", podUID(rt.uid), rt.pod, g.starts)
		}
		w.net = append(w.net, gateMsg{kind: msgStart, uid: rt.uid, start: g.starts, session: true})
		return fmt.Sprintf("the gate of %s (%s) found the marker: it asks to start (start %d)", podUID(rt.uid), rt.pod,
			g.starts)
	case evGateExit:
		rt.ctr = ctrTerminated
		gateDies(rt)
		return fmt.Sprintf("the gate of %s (%s) exits (answered, or two seconds passed): container exited",
			podUID(rt.uid), rt.pod)
	case evOOMKill:
		was := rt.app
		rt.ctr, rt.app, rt.overlap = ctrTerminated, false, false
		gateDies(rt)
		s := "the container of " + podUID(rt.uid) + " (" + rt.pod + ") is killed whole (out of memory): no marker, no report"
		if was {
			s += " (its application stops)"
		}
		return s
	case evImpostor:
		w.net = append(w.net, gateMsg{kind: msgExit, uid: rt.uid, start: max(g.starts, 1), session: true, forged: true})
		return "an impostor without " + podUID(rt.uid) + "'s token reports the exit of its application"
	}
	return "?"
}

// deliver hands a message to the server, or a verdict to its gate.
func (w *world) deliver(m gateMsg) string {
	s := "the channel delivers the " + m.String() + ": "
	switch m.kind {
	case msgVerdict:
		rt := w.runtime(m.uid)
		if rt == nil || rt.ctr != ctrRunning || !rt.gate.awaitVerdict || rt.gate.starts != m.start {
			return s + "no gate waits for it"
		}
		if !m.allowed {
			rt.gate.awaitVerdict, rt.gate.refused = false, true
			return s + "the gate holds for good"
		}
		rt.gate.awaitVerdict, rt.gate.marker = false, false
		return s + "the gate removes the marker"
	case msgExit:
		if why := w.refuse(&m); why != "" {
			return s + "refused (" + why + ")"
		}
		return s + "the ledger says " + w.ledgerExited(m.uid, m.start)
	case msgStart:
		if why := w.refuse(&m); why != "" {
			return s + "refused (" + why + "); the gate will ask again"
		}
		m.deleting = w.serverPod(m.uid).deleting
		w.op.registering = append(w.op.registering, m)
		if m.deleting {
			return s + "the server's cache shows its pod being deleted; on to the ledger"
		}
		return s + "the server's cache shows its pod not being deleted; on to the ledger"
	}
	return s + "?"
}

// refuse says why the server turns a gate's request away, or "".
func (w *world) refuse(m *gateMsg) string {
	switch {
	case m.forged && !w.cfg.broken.has(brokenTrustsImpostor):
		return "the TokenReview fails"
	case !w.serverKnowsPod(m.uid):
		return "no such pod in the server's cache"
	}
	return ""
}

// commitStart registers a start in the ledger, under its lock: refused once a release consumed
// the pod's reports.
func (w *world) commitStart(m gateMsg) string {
	v := gateMsg{kind: msgVerdict, uid: m.uid, start: m.start}
	var why string
	v.allowed, why = w.ledgerStarted(m.uid, m.start, m.deleting)
	w.net = append(w.net, v)
	s := "the ledger answers the start request of " + podUID(m.uid) + " start " + strconv.Itoa(int(m.start)) + ": "
	if !v.allowed {
		return s + "not allowed (" + why + ")"
	}
	return s + "allowed"
}
