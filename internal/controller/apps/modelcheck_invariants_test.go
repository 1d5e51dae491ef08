package apps

// The properties checked in every state:
//
//   - S1 safety: at most one application process of the workload runs, by the truth of the
//     kubelets. It is checked where the operator answers for it: no gated application starts
//     while another runs, when a StatefulSingleton (not being deleted) selects the workload's
//     pods or the starting pod was prepared for one that still exists. Ungated applications
//     are S3's; those already running when a StatefulSingleton begins to select them are
//     outside the contract.
//   - S2 liveness, in a checkable form: when nothing is in the way (the operator up with its
//     caches caught up, the webhook up, no write in flight, no lost node unfenced, and the node
//     of every pod whose object went before its stop showed fenced, as the operator asks) and
//     one held pod waits while every other selected pod, and every pod the operator released
//     or tracks, is truly and visibly stopped, one reconcile releases it.
//     And the hand-over never undoes itself: the operator never asks the pod it hands over to
//     to stop.
//   - S3: no selected pod runs its application without the gate in its spec.

import (
	"fmt"
	"strings"
)

// checkSet is a set of properties to check.
type checkSet uint8

const (
	checkS1 checkSet = 1 << iota
	checkS2
	checkS3
	checkAll = checkS1 | checkS2 | checkS3
)

// violation is a property that does not hold in a state.
type violation struct {
	property string // S1, S2 or S3
	message  string
}

func (v *violation) String() string { return v.property + ": " + v.message }

// check returns the first property of checks that the world violates, or nil.
func (w *world) check(env *env, checks checkSet) *violation {
	if checks&checkS1 != 0 {
		if v := w.checkS1(); v != nil {
			return v
		}
	}
	if checks&checkS3 != 0 {
		if v := w.checkS3(); v != nil {
			return v
		}
	}
	if checks&checkS2 != 0 {
		if w.stoppedCandidate != "" {
			return &violation{property: "S2", message: "the operator asked " + w.stoppedCandidate +
				", the pod it hands over to, to stop: the hand-over undoes itself"}
		}
		return w.checkS2(env)
	}
	return nil
}

func (w *world) checkS1() *violation {
	apps := w.appsRunning()
	overlap := false
	for _, rt := range apps {
		overlap = overlap || rt.overlap
	}
	if !overlap {
		return nil
	}
	names := make([]string, 0, len(apps))
	for _, rt := range apps {
		names = append(names, w.describeRuntime(&rt))
	}
	return &violation{property: "S1", message: fmt.Sprintf("%d applications run at once: %s", len(apps),
		strings.Join(names, "; "))}
}

// describeRuntime names a runtime and says what the API shows of its pod.
func (w *world) describeRuntime(rt *mRuntime) string {
	s := podUID(rt.uid) + " (" + rt.pod + " on " + rt.node
	if n := w.node(rt.node); !n.up {
		s += ", node lost"
	}
	if p := w.podByUID(rt.uid); p == nil {
		s += ", object gone"
	} else {
		s += ", object " + describePodObject(p)
	}
	return s + ")"
}

func (w *world) checkS3() *violation {
	for _, rt := range w.rts {
		p := w.podByUID(rt.uid)
		if !rt.app || p == nil || p.gated {
			continue
		}
		// A label says nothing: the operator reads guarded from the spec, and a pod that ran
		// before it was selected is its to report, not a pod the webhook let through.
		if p.selectedAtCreation && w.selectedNow(p) {
			return &violation{property: "S3", message: fmt.Sprintf(
				"%s was created while a StatefulSingleton selected it, was not prepared, and runs its application "+
					"without the gate", p)}
		}
	}
	return nil
}

// faultPending reports whether something in the world keeps the operator from knowing the
// truth: a lost node that is not fenced, or a pod whose object went before its stop showed,
// on a node not fenced since (the operator asks for that fence).
func (w *world) faultPending() bool {
	for _, n := range w.nodes {
		if !n.up && n.exists && !n.oos {
			return true
		}
	}
	for _, n := range w.unconfirmedGone {
		if !w.nodeFenced(n) {
			return true
		}
	}
	return false
}

// nodeFenced reports whether the API shows the node fenced: deleted, or out-of-service.
func (w *world) nodeFenced(name string) bool {
	n := w.node(name)
	return n == nil || !n.exists || n.oos
}

// visiblyStopped reports whether the API shows the pod's application stopped for good: a
// terminal phase (which the kubelet writes once it killed a pod being deleted), or, for a pod
// being deleted (whose containers no kubelet starts again), no node yet, a fenced node, or the
// operator's earlier confirmation. Containers reported terminated in a pod still Running prove
// nothing: the kubelet may be about to restart them; so does a fenced node for a pod not being
// deleted, which its kubelet starts again should the node come back.
func (w *world) visiblyStopped(p *mPod) bool {
	return p.phase.terminal() ||
		p.deleting && (p.node == "" || w.nodeFenced(p.node) || p.stopConfirmed == p.uid)
}

// confirmedStopped reports whether the pod's application is stopped for good (truth) and the
// API shows it.
func (w *world) confirmedStopped(p *mPod) bool {
	if !w.visiblyStopped(p) {
		return false
	}
	rt := w.runtime(p.uid)
	return rt == nil || !rt.app && rt.ctr != ctrRunning && (rt.killed || p.phase.terminal())
}

// heldWaiting returns the one pod that waits in its gate for a release, when there is exactly
// one such pod and every other pod is confirmed stopped and no other container runs.
func (w *world) heldWaiting() *mPod {
	var held *mPod
	for i := range w.pods {
		p := &w.pods[i]
		rt := w.runtime(p.uid)
		waiting := p.gated && p.managed && p.release != p.uid && !p.deleting && !p.phase.terminal() &&
			rt != nil && rt.ctr == ctrRunning && !rt.app && !w.nodeFenced(p.node) && w.selectedNow(p)
		switch {
		case waiting && held == nil:
			held = p
		case waiting:
			return nil
		case (w.selectedNow(p) || p.release == p.uid || p.finalizer) && !w.confirmedStopped(p):
			// A pod the operator released or tracks counts wherever its labels went.
			return nil
		}
	}
	if held == nil {
		return nil
	}
	for _, rt := range w.rts {
		if rt.uid != held.uid && (rt.app || rt.ctr == ctrRunning) {
			return nil
		}
	}
	return held
}

func (w *world) checkS2(env *env) *violation {
	if !w.op.up || !w.cachesCaughtUp() || !w.webhookUp || len(w.op.pending) > 0 || w.faultPending() {
		return nil
	}
	held := w.heldWaiting()
	if held == nil {
		return nil
	}
	env.s2Checked++
	var why []string
	for _, name := range w.reconcileTargets() {
		c := w.clone()
		c.reconcile(env, name, -1, false)
		if p := c.pod(held.name); p != nil && p.uid == held.uid && p.release == p.uid {
			return nil
		}
		why = append(why, "reconcile "+name+": "+env.decideDescribed(w, name).summary)
	}
	return &violation{property: "S2", message: fmt.Sprintf(
		"%s waits while every other selected pod is confirmed stopped, and no reconcile releases it: %s",
		held, strings.Join(why, " | "))}
}
