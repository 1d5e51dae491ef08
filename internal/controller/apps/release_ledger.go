package apps

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// releaseLedger remembers the pods this operator released until its cache shows the release:
// a decision made meanwhile, for this or another StatefulSingleton, must count them as
// released (S1). It also says whether the release annotation was written: a release pushed to
// the pod's gates before its patch, whose patch then failed, is written again (reRelease). It
// lives in memory only; a restarted operator, or a new leader, starts from caches listed after
// every write of the old one that had returned.
type releaseLedger struct {
	mu sync.Mutex
	// uids holds, for each pod released, whether its annotation was written.
	uids map[types.UID]bool
}

// add records a release that took effect: pushed, and written when written is true.
func (l *releaseLedger) add(uid types.UID, written bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.uids == nil {
		l.uids = map[types.UID]bool{}
	}
	l.uids[uid] = l.uids[uid] || written
}

// has reports whether the pod was released by this operator and its cache may not show it,
// and whether the release annotation was written.
func (l *releaseLedger) has(uid types.UID) (released, written bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	written, released = l.uids[uid]
	return released, written
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
