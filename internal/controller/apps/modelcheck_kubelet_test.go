package apps

// The kubelets and the nodes. A kubelet starts a pod's container; a gated container's
// application starts only when the pod object's release annotation holds its UID at that
// moment, an ungated one's at once. Applications crash and restart (the first restart has no
// back-off: any next step). The kubelet reports what it runs in separate steps, so the API
// lags the truth. On a deletion it stops the application, then reports the container
// terminated and the pod in a terminal phase in one status write, and finishes the deletion.
// A lost node's kubelet does nothing while its applications keep running, until the node is
// fenced (deleted, or tainted out-of-service): then they are dead.

import (
	"slices"
)

// maxRestarts caps the restart count the model tells apart.
const maxRestarts = 2

// kubeletUp reports whether the node's kubelet runs and reaches the API server.
func (w *world) kubeletUp(node string) bool {
	n := w.node(node)
	return n != nil && n.up
}

func (w *world) kubeletEvents(out []mcEvent, k evKind) []mcEvent {
	switch k {
	case evStart, evGateOpen, evReport, evKill:
		for i := range w.pods {
			p := &w.pods[i]
			if p.node != "" && w.kubeletUp(p.node) && w.kubeletCan(k, p) {
				out = append(out, mcEvent{kind: k, target: p.name})
			}
		}
		if k == evGateOpen {
			// A gate the release was pushed to opens whether or not its pod's object is there.
			for _, rt := range w.rts {
				if w.podByUID(rt.uid) == nil && w.kubeletUp(rt.node) && rt.ctr == ctrRunning && !rt.app &&
					rt.gate.pushed && gateMayStart(&rt) {
					out = append(out, mcEvent{kind: k, target: rt.pod, n: rt.uid})
				}
			}
		}
	default:
		for _, rt := range w.rts {
			if w.kubeletUp(rt.node) && w.kubeletCanRuntime(k, &rt) {
				out = append(out, mcEvent{kind: k, target: rt.pod, n: rt.uid})
			}
		}
	}
	return out
}

// kubeletCan reports whether the pod's kubelet can take a step of kind k for it.
func (w *world) kubeletCan(k evKind, p *mPod) bool {
	rt := w.runtime(p.uid)
	switch k {
	case evStart:
		return rt == nil && !p.deleting && !p.phase.terminal()
	case evGateOpen:
		return rt != nil && rt.ctr == ctrRunning && !rt.app && p.gated && (p.release == p.uid || rt.gate.pushed) &&
			gateMayStart(rt)
	case evReport:
		ctr, phase, restarts := w.projectStatus(p, rt)
		return ctr != p.ctr || phase != p.phase || restarts != p.restarts ||
			rt != nil && rt.killed && rt.ctr != ctrRunning && p.deleting && !p.graceDone
	case evKill:
		return p.deleting && (rt == nil || !rt.killed)
	}
	return false
}

// kubeletCanRuntime reports whether the kubelet can take a step of kind k for a runtime.
func (w *world) kubeletCanRuntime(k evKind, rt *mRuntime) bool {
	p := w.podByUID(rt.uid)
	switch k {
	case evCrash:
		return rt.app
	case evRestartContainer:
		return rt.ctr == ctrTerminated && !rt.killed && p != nil && !p.phase.terminal()
	case evKillOrphan:
		return rt.ctr == ctrRunning && p == nil
	}
	return false
}

// projectStatus is the status the kubelet would report for the pod now.
func (w *world) projectStatus(p *mPod, rt *mRuntime) (ctrState, podPhase, uint8) {
	if rt == nil {
		if p.phase.terminal() {
			return p.ctr, p.phase, p.restarts
		}
		return ctrNone, phasePending, 0
	}
	phase := phaseRunning
	switch {
	case p.phase.terminal():
		phase = p.phase // a terminal phase is for ever
	case rt.killed && rt.ctr == ctrRunning:
		// the gate still reports the exit of the application it supervised
	case rt.killed && rt.ran:
		phase = phaseFailed
	case rt.killed:
		phase = phaseSucceeded // the gate exits 0 when stopped while it holds
	}
	return rt.ctr, phase, rt.restarts
}

func (w *world) putRuntime(rt mRuntime) {
	i, _ := slices.BinarySearchFunc(w.rts, rt.uid, func(r mRuntime, uid int) int { return r.uid - uid })
	w.rts = slices.Insert(w.rts, i, rt)
}

func (w *world) applyKubelet(e mcEvent) string {
	var p *mPod
	var rt *mRuntime
	if e.n != 0 {
		rt = w.runtime(e.n)
		p = w.podByUID(e.n)
	} else {
		p = w.pod(e.target)
		rt = w.runtime(p.uid)
	}
	switch e.kind {
	case evStart:
		if w.node(p.node).oos {
			// Kubelet admission rejects a pod that does not tolerate a NoExecute taint.
			p.phase = phaseFailed
			w.touchPod(p)
			return "kubelet " + p.node + " rejects " + p.String() +
				": it does not tolerate the out-of-service taint (phase Failed)"
		}
		w.putRuntime(mRuntime{uid: p.uid, pod: p.name, node: p.node, gated: p.gated, supervised: p.supervised,
			instance: p.instance, ctr: ctrRunning})
		rt = w.runtime(p.uid)
		w.gateStarts(rt)
		if !p.gated || p.release == p.uid {
			w.startApp(rt, p)
		}
		return "kubelet " + p.node + " starts " + p.String() + appState(p.gated, rt.app)
	case evGateOpen:
		if p == nil {
			w.startOrphanApp(rt)
			return "the gate of " + podUID(rt.uid) + " (" + rt.pod + "), whose object is gone, acts on the pushed release: " +
				"its application starts"
		}
		how := "sees the release"
		if rt.gate.pushed && p.release != p.uid {
			how = "gets the release pushed before its annotation"
		}
		w.startApp(rt, p)
		return "the gate of " + p.String() + " " + how + ": its application starts"
	case evCrash:
		rt.app, rt.overlap = false, false
		s, lingers := w.gateAppExited(rt)
		if lingers {
			return "the application of " + podUID(rt.uid) + " (" + rt.pod + ") crashes" + s
		}
		rt.ctr = ctrTerminated
		return "the application of " + podUID(rt.uid) + " (" + rt.pod + ") crashes: container exited"
	case evRestartContainer:
		rt.ctr = ctrRunning
		rt.restarts = min(rt.restarts+1, maxRestarts)
		w.gateStarts(rt)
		if (!p.gated || p.release == p.uid) && gateMayStart(rt) {
			w.startApp(rt, p)
		}
		s := "kubelet " + rt.node + " restarts the container of " + p.String() + appState(p.gated, rt.app)
		if rt.gate.awaitVerdict {
			s += "; its gate found the exit-reported marker: it waits for a verdict"
		}
		return s
	case evReport:
		return w.report(p, rt)
	case evKill:
		if rt == nil {
			w.putRuntime(mRuntime{uid: p.uid, pod: p.name, node: p.node, gated: p.gated, instance: p.instance,
				killed: true})
			return "kubelet " + p.node + " sees the deletion of " + p.String() + " before starting it"
		}
		was := rt.app
		rt.killed, rt.app, rt.overlap = true, false, false
		lingers := false
		s := "kubelet " + p.node + " acts on the deletion of " + p.String()
		if was {
			var g string
			g, lingers = w.gateAppExited(rt)
			s += ": its application stops" + g
		} else {
			gateDies(rt)
		}
		if rt.ctr == ctrRunning && !lingers {
			rt.ctr = ctrTerminated
			s += "; container stopped"
		}
		return s
	case evKillOrphan:
		// The kubelet kills the whole container: a gate that reports is stopped too.
		rt.ctr, rt.app, rt.overlap = ctrTerminated, false, false
		gateDies(rt)
		return "kubelet " + rt.node + " stops the container of " + podUID(rt.uid) + " (" + rt.pod +
			"), whose object is gone"
	}
	return "?"
}

func appState(gated, app bool) string {
	switch {
	case app && gated:
		return " (released: the application starts)"
	case app:
		return " (no gate: the application starts)"
	}
	return " (held in the gate)"
}

// report writes the pod's status as the kubelet sees it; for a pod it stopped for a deletion,
// a terminal phase in the same write, then the kubelet's final delete.
func (w *world) report(p *mPod, rt *mRuntime) string {
	p.ctr, p.phase, p.restarts = w.projectStatus(p, rt)
	w.touchPod(p)
	s := "kubelet " + p.node + " reports " + p.String() + ": phase=" + p.phase.String() + " ctr=" + p.ctr.String()
	if rt != nil && rt.killed && rt.ctr != ctrRunning && p.deleting {
		if !p.graceDone {
			p.graceDone = true
			w.touchPod(p)
		}
		name := p.name
		if w.finishPodDeletion(name) {
			s += ", and deletes it: the object is gone"
		} else {
			s += ", and deletes it: a finalizer keeps the object"
		}
	}
	return s
}

func (w *world) nodeEvents(out []mcEvent, k evKind) []mcEvent {
	if k == evPodGC {
		for i := range w.pods {
			if w.podGCCan(&w.pods[i]) {
				out = append(out, mcEvent{kind: k, target: w.pods[i].name})
			}
		}
		return out
	}
	for _, n := range w.nodes {
		ok := false
		switch k {
		case evNodeLost:
			ok = n.up
		case evNodeRecover:
			ok = !n.up
		case evTaint:
			ok = n.exists && !n.oos && !n.up
		case evUntaint:
			ok = n.oos && w.podsMovedOff(n.name)
		case evDeleteNode:
			ok = n.exists && !n.up
		}
		if ok {
			out = append(out, mcEvent{kind: k, target: n.name})
		}
	}
	return out
}

// podsMovedOff reports whether every pod bound to the node is being deleted or finished: the
// documented procedure removes the out-of-service taint only then.
func (w *world) podsMovedOff(node string) bool {
	for i := range w.pods {
		if p := &w.pods[i]; p.node == node && !p.deleting && !p.phase.terminal() {
			return false
		}
	}
	return true
}

// podGCCan reports whether the control plane removes the pod from a fenced node: the taint
// manager evicts a pod from an out-of-service node; the pod garbage collector force-deletes a
// pod bound to a node that is gone (after a quarantine) or terminating on an out-of-service
// node.
func (w *world) podGCCan(p *mPod) bool {
	if p.node == "" || p.deleting && p.graceDone && p.phase.terminal() {
		return false
	}
	n := w.node(p.node)
	return !n.exists || n.oos
}

func (w *world) applyNode(e mcEvent) string {
	if e.kind == evPodGC {
		p := w.pod(e.target)
		if n := w.node(p.node); n.exists && n.oos && !p.deleting {
			s := "taint manager evicts " + p.String() + " from the out-of-service node " + n.name
			w.deletePod(p, defaultGrace)
			return s
		}
		if !p.phase.terminal() {
			p.phase = phaseFailed
			w.touchPod(p)
		}
		s := "pod GC marks " + p.String() + " Failed and force-deletes it"
		w.deletePod(p, 0)
		if w.pod(e.target) == nil {
			return s + ": the object is gone"
		}
		return s + ": a finalizer keeps the object"
	}
	n := w.node(e.target)
	switch e.kind {
	case evNodeLost:
		n.up = false
		return "node " + n.name + " is lost: its kubelet stops reporting, its applications keep running"
	case evNodeRecover:
		n.up = true
		if !n.exists {
			n.exists, n.oos = true, false
			w.touchNode(n)
			return "node " + n.name + " comes back and registers again"
		}
		return "node " + n.name + " comes back"
	case evTaint:
		n.oos = true
		w.touchNode(n)
		w.fence(n.name)
		return "admin taints the lost node " + n.name + " out-of-service (it is down: its applications are dead)"
	case evUntaint:
		n.oos = false
		w.touchNode(n)
		return "admin removes the out-of-service taint of " + n.name + " (its pods were moved off)"
	case evDeleteNode:
		n.exists = false
		w.touchNode(n)
		w.fence(n.name)
		return "admin deletes the lost node " + n.name + " (it is down: its applications are dead)"
	}
	return "?"
}

// fence makes the applications of a lost node dead: the admin fenced it because it is down.
func (w *world) fence(node string) {
	w.rts = slices.DeleteFunc(w.rts, func(rt mRuntime) bool { return rt.node == node })
}
