package kubestellar

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
)

// combinedStatusesResource names CombinedStatus objects among the objects a second writer is
// told of (group/resource/namespace/name, as objectRef.String).
const combinedStatusesResource = "combinedstatuses"

// combinedWriters remembers KubeStellar's status controller writing CombinedStatus objects after
// this operator did (it still runs, and the two rewrite each other's results): for each workload
// object, when it was last seen writing each of its CombinedStatus objects. A CombinedStatus
// stays told for secondWriterQuiet after that, as a workload object does (the two take turns, so
// each of the operator's own writes hides the other's until its next one).
type combinedWriters struct {
	mu   sync.Mutex
	seen map[objectRef]map[objectRef]time.Time
}

func newCombinedWriters() *combinedWriters {
	return &combinedWriters{seen: map[objectRef]map[objectRef]time.Time{}}
}

// combinedStatusRef names a CombinedStatus object as a second writer's object.
func combinedStatusRef(cs *controlv1alpha1.CombinedStatus) objectRef {
	return objectRef{Group: controlv1alpha1.GroupVersion.Group, Resource: combinedStatusesResource,
		Namespace: cs.Namespace, Name: cs.Name}
}

// observe records which of the CombinedStatus objects of the workload object ref (all that
// exist, as a reconcile read them) KubeStellar's status controller wrote after the operator, at
// now, and returns those told now (seen within quiet) and those newly told (an event is due).
// changed tells whether the told set of ref changed.
func (w *combinedWriters) observe(ref objectRef, existing []*controlv1alpha1.CombinedStatus, now time.Time,
	quiet time.Duration) (told, news []objectRef, changed bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	before := w.seen[ref]
	after := map[objectRef]time.Time{}
	for _, cs := range existing {
		key := combinedStatusRef(cs)
		last, ok := before[key]
		if writtenAfterOperator(writeTimes(cs.ManagedFields)) {
			last, ok = now, true
		}
		if ok && now.Sub(last) < quiet {
			after[key] = last
			if _, was := before[key]; !was {
				news = append(news, key)
			}
		}
	}
	changed = len(after) != len(before) || len(news) > 0
	if len(after) == 0 {
		delete(w.seen, ref)
	} else {
		w.seen[ref] = after
	}
	told = slices.SortedFunc(maps.Keys(after), func(a, b objectRef) int { return strings.Compare(a.String(), b.String()) })
	return told, news, changed
}

// names are the CombinedStatus objects told now, sorted.
func (w *combinedWriters) names() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, m := range w.seen {
		for key := range m {
			out = append(out, key.String())
		}
	}
	slices.Sort(out)
	return out
}

// tellCombinedWriters tells the user, once per CombinedStatus, that KubeStellar's status
// controller writes it too (a warning event about it; the SoleWriter condition of the
// ReportedState and the second-writer metric count it among the objects), and asks to decide
// the workload object again once quiet has passed, to end it. It returns when to decide again
// (0: no need).
func (c *connection) tellCombinedWriters(ref objectRef, existing []*controlv1alpha1.CombinedStatus) time.Duration {
	told, news, changed := c.combinedWriters.observe(ref, existing, c.opts.Now(), secondWriterQuiet)
	for _, key := range news {
		c.log.Info("A second controller writes a CombinedStatus", "combinedStatus", key.Namespace+"/"+key.Name,
			"object", ref.String(), "manager", KubeStellarStatusManager)
		for _, cs := range existing {
			if combinedStatusRef(cs) == key {
				// With its kind, so that the event names it as related: events of one reason
				// about different CombinedStatus objects are then not folded into one series.
				cs = cs.DeepCopy()
				cs.SetGroupVersionKind(controlv1alpha1.GroupVersion.WithKind("CombinedStatus"))
				c.warnOf(cs, causeSecondWriter, "Write", "Two controllers write CombinedStatus %s/%s: KubeStellar's "+
					"status controller (field manager %s) wrote it after this operator: run KubeStellar's "+
					"controller-manager with --controllers=binding", cs.Namespace, cs.Name, KubeStellarStatusManager)
			}
		}
	}
	if changed && c.notify != nil {
		c.notify()
	}
	if len(told) > 0 {
		return secondWriterQuiet
	}
	return 0
}
