package kubestellar

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// workStatusTally is the WorkStatus part of a connection's locked state: how many WorkStatuses
// each WEC has, and the malformed ones with the reason each is skipped.
type workStatusTally struct {
	perWEC  map[string]int
	invalid map[types.NamespacedName]string
}

func newWorkStatusTally() workStatusTally {
	return workStatusTally{perWEC: map[string]int{}, invalid: map[types.NamespacedName]string{}}
}

// count adds delta to the WorkStatuses of wec.
func (t workStatusTally) count(wec string, delta int) {
	t.perWEC[wec] += delta
	if t.perWEC[wec] <= 0 {
		delete(t.perWEC, wec)
	}
}

// setInvalid records why a WorkStatus is skipped (reason "": it is not) and tells whether that
// is news: a reason other than the one recorded.
func (t workStatusTally) setInvalid(key types.NamespacedName, reason string) (news bool) {
	before, had := t.invalid[key]
	if reason == "" {
		delete(t.invalid, key)
		return false
	}
	t.invalid[key] = reason
	return !had || before != reason
}

// reporting counts the WECs that have a WorkStatus.
func (t workStatusTally) reporting() int {
	n := 0
	for _, c := range t.perWEC {
		if c > 0 {
			n++
		}
	}
	return n
}

// invalidNames names the malformed WorkStatuses, sorted.
func (t workStatusTally) invalidNames() []string {
	if len(t.invalid) == 0 {
		return nil
	}
	names := make([]string, 0, len(t.invalid))
	for name := range t.invalid {
		names = append(names, name.String())
	}
	slices.Sort(names)
	return names
}

// countWEC counts the WorkStatuses of a WEC.
func (c *connection) countWEC(wec string, delta int) {
	c.lock()
	defer c.unlock()
	c.lockedState.workStatuses.count(wec, delta)
}

// setInvalid records (err != nil) or forgets a malformed WorkStatus, with a warning event the
// first time.
func (c *connection) setInvalid(ws *WorkStatus, err error) {
	key := types.NamespacedName{Namespace: ws.Namespace, Name: ws.Name}
	reason := ""
	if err != nil {
		reason = err.Error()
	}
	c.lock()
	news := c.lockedState.workStatuses.setInvalid(key, reason)
	c.unlock()
	if news {
		c.log.Info("Skipping a malformed WorkStatus", "workStatus", key, "reason", reason)
		// About the WorkStatus (an ITS object): two malformed ones are then two events, not one
		// series whose note names the first.
		related := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{
			Namespace: ws.Namespace, Name: ws.Name, UID: ws.UID, ResourceVersion: ws.ResourceVersion,
		}}
		related.SetGroupVersionKind(workStatusGVK)
		c.warnOf(related, "InvalidWorkStatus", "Skip", "WorkStatus %s is skipped: %s", key, reason)
	}
}
