package apps

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// releaseLedger remembers the pods this operator released until its cache shows the release:
// a decision made meanwhile, for this or another StatefulSingleton, must count them as
// released (S1). It lives in memory only; a restarted operator, or a new leader, starts from
// caches listed after every write of the old one that had returned.
type releaseLedger struct {
	mu   sync.Mutex
	uids map[types.UID]struct{}
}

// add records a release that was written.
func (l *releaseLedger) add(uid types.UID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.uids == nil {
		l.uids = map[types.UID]struct{}{}
	}
	l.uids[uid] = struct{}{}
}

// has reports whether the pod was released by this operator and its cache may not show it.
func (l *releaseLedger) has(uid types.UID) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.uids[uid]
	return ok
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
