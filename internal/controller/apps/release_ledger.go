package apps

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// releaseLedger remembers the pods this operator released until its cache shows the release:
// a decision made meanwhile, for this or another StatefulSingleton, must count them as
// released (S1). It also says whether the release annotation was written: a release pushed to
// the pod's gates before its patch, whose patch then failed, is written again (reRelease); and
// whether the release was a forced one, so that a forced release written again is recorded as
// forced. It lives in memory only; a restarted operator, or a new leader, starts from caches
// listed after every write of the old one that had returned.
type releaseLedger struct {
	mu   sync.Mutex
	uids map[types.UID]pushedRelease
}

// pushedRelease is what the ledger knows of a release it holds.
type pushedRelease struct {
	// Written: the release annotation was written.
	Written bool
	// Forced: the release was pushed as a forced one (maxTransitionTime ran out, timeoutAction
	// Release), while another pod may have run.
	Forced bool
}

// merge is what the ledger knows once a later push adds o: neither mark is undone.
func (e pushedRelease) merge(o pushedRelease) pushedRelease {
	return pushedRelease{Written: e.Written || o.Written, Forced: e.Forced || o.Forced}
}

// add records a release that took effect: pushed, written when written is true, forced when
// forced is.
func (l *releaseLedger) add(uid types.UID, written, forced bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.uids == nil {
		l.uids = map[types.UID]pushedRelease{}
	}
	l.uids[uid] = l.uids[uid].merge(pushedRelease{Written: written, Forced: forced})
}

// has reports whether the pod was released by this operator and its cache may not show it,
// and what the ledger knows of the release.
func (l *releaseLedger) has(uid types.UID) (pushedRelease, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, released := l.uids[uid]
	return e, released
}

// seen forgets a release once the cache shows it (the pod's release annotation), or shows the
// pod gone (its deletion's watch event: podGone). A pod released and gone is not left out of
// later decisions by forgetting it here: a release is recorded in its StatefulSingleton's
// status before it is pushed (S2), and the status keeps a pod as may run until its stop is
// proven, object or not; and a released pod carries the release finalizer, which this operator
// removes only once its application is proven stopped.
func (l *releaseLedger) seen(uid types.UID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.uids, uid)
}
