package apps

// The other actors: the workload controllers (a one-replica Deployment with its ReplicaSets, a
// one-replica StatefulSet), the scheduler, the admission of a new pod (the webhook), and the
// admins and users.

import (
	"strconv"
)

// defaultGrace is the grace period of a controller's or user's delete.
const defaultGrace = 30

// rsActive counts the pods of a ReplicaSet that it counts as its replicas: not being deleted,
// not finished.
func (w *world) rsActive(rev int) []*mPod {
	var out []*mPod
	for i := range w.pods {
		p := &w.pods[i]
		if p.owner == ownerReplicaSet && p.rev == rev && !p.deleting && !p.phase.terminal() {
			out = append(out, p)
		}
	}
	return out
}

// podReady reports whether the pod's Ready condition is True: its container runs, as
// reported, and, for a pod the webhook prepared (whose spec holds the readiness gate), the
// operator's readiness condition is True.
func podReady(p *mPod) bool {
	return (p.ready || !p.gated) && p.ctr == ctrRunning && p.phase == phaseRunning && !p.deleting
}

func (w *world) workloadEvents(out []mcEvent, k evKind) []mcEvent {
	switch k {
	case evRSCreate, evRSDelete:
		if !w.deploy.exists {
			break
		}
		for _, rs := range w.deploy.rs {
			active := len(w.rsActive(rs.rev))
			if k == evRSCreate && active < rs.replicas && !w.admissionRefused() ||
				k == evRSDelete && active > rs.replicas {
				out = append(out, mcEvent{kind: k, n: rs.rev})
			}
		}
	case evDeployProgress:
		if w.deployProgress() {
			out = append(out, mcEvent{kind: k})
		}
	case evRolloutRestart:
		if w.deploy.exists {
			out = append(out, mcEvent{kind: k})
		}
	case evSTSCreate:
		if w.sts.exists && w.pod(mcStsPod) == nil && !w.admissionRefused() {
			out = append(out, mcEvent{kind: k})
		}
	case evSTSDelete:
		if p := w.pod(mcStsPod); w.sts.exists && p != nil && p.owner == ownerStatefulSet && !p.deleting &&
			(p.rev != w.sts.updateRev || p.phase.terminal()) {
			out = append(out, mcEvent{kind: k})
		}
	case evSTSRolloutRestart:
		if w.sts.exists {
			out = append(out, mcEvent{kind: k})
		}
	case evSchedule:
		for i := range w.pods {
			if p := &w.pods[i]; p.node == "" && !p.deleting && w.pickNode() != "" {
				out = append(out, mcEvent{kind: k, target: p.name})
			}
		}
	}
	return out
}

// deployProgress reports whether the Deployment controller scales an older ReplicaSet down:
// the newest one's pod is Ready.
func (w *world) deployProgress() bool {
	if !w.deploy.exists || len(w.deploy.rs) < 2 {
		return false
	}
	newest := w.deploy.rs[len(w.deploy.rs)-1]
	ready := false
	for _, p := range w.rsActive(newest.rev) {
		ready = ready || podReady(p)
	}
	if !ready {
		return false
	}
	for _, rs := range w.deploy.rs[:len(w.deploy.rs)-1] {
		if rs.replicas > 0 {
			return true
		}
	}
	return false
}

func (w *world) applyWorkload(env *env, e mcEvent) string {
	switch e.kind {
	case evRSCreate:
		name := mcWorkload + "-r" + strconv.Itoa(e.n) + "-" + strconv.Itoa(w.seq+1)
		return "ReplicaSet r" + strconv.Itoa(e.n) + " creates " +
			w.createPod(env, mPod{name: name, owner: ownerReplicaSet, rev: e.n})
	case evRSDelete:
		p := w.rsActive(e.n)[0]
		s := "ReplicaSet r" + strconv.Itoa(e.n) + " deletes " + p.String() + " (grace 30s)"
		w.deletePod(p, defaultGrace)
		return s
	case evDeployProgress:
		for i := range w.deploy.rs[:len(w.deploy.rs)-1] {
			w.deploy.rs[i].replicas = 0
		}
		return "Deployment controller: the new pod is Ready; the old ReplicaSets scale to 0"
	case evRolloutRestart:
		rev := len(w.deploy.rs) + 1
		w.deploy.rs = append(w.deploy.rs, mReplicaSet{rev: rev, replicas: 1})
		return "admin: kubectl rollout restart deployment/db: ReplicaSet r" + strconv.Itoa(rev) + " wants 1 pod"
	case evSTSCreate:
		return "StatefulSet creates " + w.createPod(env, mPod{name: mcStsPod, owner: ownerStatefulSet, rev: w.sts.updateRev})
	case evSTSDelete:
		p := w.pod(mcStsPod)
		s := "StatefulSet deletes " + p.String() + " (grace 30s) to update it"
		w.deletePod(p, defaultGrace)
		return s
	case evSTSRolloutRestart:
		w.sts.updateRev++
		return "admin: kubectl rollout restart statefulset/db: update revision " + strconv.Itoa(w.sts.updateRev)
	case evSchedule:
		p := w.pod(e.target)
		p.node = w.pickNode()
		w.touchPod(p)
		return "scheduler binds " + p.String() + " to " + p.node
	}
	return "?"
}

// pickNode chooses a node for a new pod: one that exists, runs and is not tainted, preferring
// one that runs no other pod of the application (the webhook's preferred anti-affinity).
func (w *world) pickNode() string {
	fallback := ""
	for _, name := range w.cfg.nodeNames {
		n := w.node(name)
		if !n.exists || !n.up || n.oos {
			continue
		}
		busy := false
		for i := range w.pods {
			busy = busy || w.pods[i].node == name && !w.pods[i].phase.terminal()
		}
		if !busy {
			return name
		}
		if fallback == "" {
			fallback = name
		}
	}
	return fallback
}

// selectedForAdmission reports whether a StatefulSingleton in the API, not being deleted,
// selects the workload's pods: the webhook is meant to prepare them.
func (w *world) selectedForAdmission() bool {
	for i := range w.sss {
		if w.sss[i].selects && !w.sss[i].deleting {
			return true
		}
	}
	return false
}

// admissionRefused reports whether the API server refuses to create a selected pod: the
// webhook is down and its failure policy is fail-closed.
func (w *world) admissionRefused() bool {
	return !w.webhookUp && w.cfg.failClosed && w.selectedForAdmission()
}

// createPod creates a pod of the workload through admission: while the webhook is up, it
// prepares the pod (from the StatefulSingletons in the operator's cache, as the real webhook
// reads the manager's cache; while the leader is down, another replica serves the webhook from
// a cache that is caught up); while it is down, the pod goes in unprepared.
func (w *world) createPod(env *env, p mPod) string {
	p.uid = w.nextSeq()
	p.seq = p.uid
	p.app = true
	p.selectedAtCreation = w.selectedForAdmission()
	admission := "webhook down: not prepared"
	if w.webhookUp {
		cached := w.op.sss.objs
		if !w.op.up {
			cached = w.sss
		}
		admission = env.op.admit(cached, &p, w.cfg.fast)
	}
	p.node = w.pickNode()
	w.putPod(p)
	return p.String() + " on " + nodeOrPending(p.node) + " (" + admission + ")"
}

func nodeOrPending(node string) string {
	if node == "" {
		return "no node (Pending)"
	}
	return node
}

func (w *world) adminEvents(out []mcEvent, k evKind) []mcEvent {
	switch k {
	case evCreateSS, evDeleteSS, evEditSelector:
		for _, name := range w.cfg.singletons {
			s := w.ss(name)
			if k == evCreateSS && s == nil || k == evDeleteSS && s != nil && !s.deleting ||
				k == evEditSelector && s != nil {
				out = append(out, mcEvent{kind: k, target: name})
			}
		}
		return out
	}
	for i := range w.pods {
		p := &w.pods[i]
		ok := false
		switch k {
		case evForceDelete:
			ok = !p.deleting || !p.graceDone
		case evDeletePod:
			ok = !p.deleting
		case evStripFinalizer:
			ok = p.finalizer
		case evRelabelOut:
			ok = p.app
		case evLabelManaged:
			ok = !p.managed && !p.gated
		}
		if ok {
			out = append(out, mcEvent{kind: k, target: p.name})
		}
	}
	return out
}

func (w *world) applyAdmin(e mcEvent) string {
	switch e.kind {
	case evCreateSS:
		seq := w.nextSeq()
		w.putSS(mSS{name: e.target, uid: seq, seq: seq, selects: true})
		return "admin creates StatefulSingleton " + e.target + " selecting app=db"
	case evDeleteSS:
		s := w.ss(e.target)
		s.deleting = true
		w.touchSS(s)
		w.finishSSDeletion(e.target)
		if w.ss(e.target) == nil {
			return "admin deletes StatefulSingleton " + e.target + ": it is gone"
		}
		return "admin deletes StatefulSingleton " + e.target + ": its hand-back finalizer keeps it"
	case evEditSelector:
		s := w.ss(e.target)
		s.selects = !s.selects
		w.touchSS(s)
		if s.selects {
			return "admin edits the selector of " + e.target + " back to app=db"
		}
		return "admin edits the selector of " + e.target + " to match no pod"
	}
	p := w.pod(e.target)
	desc := p.String()
	switch e.kind {
	case evForceDelete:
		w.deletePod(p, 0)
		return "admin force-deletes " + desc + gone(w, e.target)
	case evDeletePod:
		w.deletePod(p, defaultGrace)
		return "user deletes " + desc + " (grace 30s)" + gone(w, e.target)
	case evStripFinalizer:
		p.finalizer = false
		w.touchPod(p)
		w.finishPodDeletion(p.name)
		return "admin strips the release finalizer of " + desc + gone(w, e.target)
	case evRelabelOut:
		p.app, p.owner = false, ownerNone
		w.touchPod(p)
		return "admin relabels " + desc + " out of the selector (its ReplicaSet lets it go)"
	case evLabelManaged:
		p.managed, p.instance = true, w.cfg.singletons[0]
		w.touchPod(p)
		return "someone labels " + desc + " managed=true instance=" + p.instance + " (no gate in its spec)"
	}
	return "?"
}

func gone(w *world, name string) string {
	if w.pod(name) == nil {
		return ": the object is gone"
	}
	return ""
}
