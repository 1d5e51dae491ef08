package kubestellar

import (
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/workqueue"
)

// linkHealth is what a connection observed of its link to the clusters.
type linkHealth struct {
	WDSUp, ITSUp bool
	// Probed: both clusters were asked at least once.
	Probed bool
	Synced bool
	// Err is a failure that stopped the connection.
	Err error
}

// differs tells whether status shows o otherwise than h.
func (h linkHealth) differs(o linkHealth) bool {
	return h.WDSUp != o.WDSUp || h.ITSUp != o.ITSUp || h.Synced != o.Synced || h.Probed != o.Probed ||
		(h.Err == nil) != (o.Err == nil)
}

// linkState is the link part of a connection's locked state: its health, the work queue (nil
// until the controller starts), and the objects deferred until both clusters answer again.
type linkState struct {
	health   linkHealth
	queue    workqueue.TypedRateLimitingInterface[objectRef]
	deferred map[objectRef]struct{}
}

// connectionState is what a ReportedState's status shows of its connection: the link's health
// and the counts.
type connectionState struct {
	linkHealth
	Singleton int
	MultiWEC  int
	WECs      int
	Invalid   []string
	// Misconfigured are the objects asking singleton reported state on other than one WEC.
	Misconfigured []string
	// SecondWriters are the objects KubeStellar's status controller writes too.
	SecondWriters []string
	// Health counts the objects by WEC and kstatus.
	Health map[wecStatus]int
	// Unwatchable names the resources a Binding asks for that the WDS credentials cannot
	// list or watch, and Why says why for the first of them.
	Unwatchable []string
	Why         string
}

// health returns the link's health.
func (c *connection) health() linkHealth {
	c.lock()
	defer c.unlock()
	return c.lockedState.link.health
}

// bothUp tells whether the WDS and the ITS answered the last probe.
func (c *connection) bothUp() bool {
	h := c.health()
	return h.WDSUp && h.ITSUp
}

// synced tells whether the first sync is done.
func (c *connection) synced() bool {
	return c.health().Synced
}

// update changes the link's health and tells the ReportedState reconciler when status shows it
// otherwise.
func (c *connection) update(change func(*linkHealth)) {
	c.lock()
	h := &c.lockedState.link.health
	before := *h
	change(h)
	changed := before.differs(*h)
	c.unlock()
	if changed && c.notify != nil {
		c.notify()
	}
}

// snapshot returns the state, with the counts.
func (c *connection) snapshot() connectionState {
	objects := c.book.counts()
	c.lock()
	defer c.unlock()
	s := connectionState{linkHealth: c.lockedState.link.health}
	s.Singleton, s.MultiWEC, s.Health = objects.Singleton, objects.MultiWEC, objects.Health
	s.Misconfigured = objects.Misconfigured
	s.SecondWriters = append(slices.Clone(objects.SecondWriters), c.combinedWriters.names()...)
	slices.Sort(s.SecondWriters)
	s.WECs, s.Invalid = c.lockedState.workStatuses.reporting(), c.lockedState.workStatuses.invalidNames()
	if s.Unwatchable = c.lockedState.unwatchable.names(); len(s.Unwatchable) > 0 {
		s.Why = c.lockedState.unwatchable[schema.ParseGroupResource(s.Unwatchable[0])].err.Error()
	}
	return s
}

// setQueue keeps the controller's work queue, so that the connection can add objects itself.
func (c *connection) setQueue(q workqueue.TypedRateLimitingInterface[objectRef]) {
	c.lock()
	defer c.unlock()
	c.lockedState.link.queue = q
}

func (c *connection) getQueue() workqueue.TypedRateLimitingInterface[objectRef] {
	c.lock()
	defer c.unlock()
	return c.lockedState.link.queue
}

// enqueue adds objects to the work queue.
func (c *connection) enqueue(refs ...objectRef) {
	q := c.getQueue()
	if q == nil {
		return
	}
	for _, r := range refs {
		q.Add(r)
	}
}

// enqueueAfter adds an object to the work queue after a delay.
func (c *connection) enqueueAfter(ref objectRef, after time.Duration) {
	if q := c.getQueue(); q != nil {
		q.AddAfter(ref, after)
	}
}

// deferObject keeps an object to reconcile once both clusters answer again.
func (c *connection) deferObject(ref objectRef) {
	c.lock()
	defer c.unlock()
	c.lockedState.link.deferred[ref] = struct{}{}
}

// requeueDeferred queues the objects deferred meanwhile.
func (c *connection) requeueDeferred() {
	c.lock()
	deferred := c.lockedState.link.deferred
	refs := make([]objectRef, 0, len(deferred))
	for ref := range deferred {
		refs = append(refs, ref)
	}
	clear(deferred)
	c.unlock()
	c.enqueue(refs...)
}
