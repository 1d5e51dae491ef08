package kubestellar

import (
	"github.com/singleton-operator/singleton-operator/internal/summary"
)

// wecStatus is one WEC's kstatus of an object.
type wecStatus struct {
	WEC    string
	Status string
}

// wecHealth counts, per WEC and kstatus, the objects the WECs report, from each object's last
// decision: what the metric reportedstate_wec_objects shows. Counts change incrementally, so a
// decision costs as much as its object has WECs. The objectBook holds it, under its lock.
type wecHealth struct {
	objects map[objectRef][]wecStatus
	counts  map[wecStatus]int
}

func newWECHealth() wecHealth {
	return wecHealth{objects: map[objectRef][]wecStatus{}, counts: map[wecStatus]int{}}
}

// set records the WECs' health of ref (none: forget it).
func (h wecHealth) set(ref objectRef, health []summary.Health) {
	for _, s := range h.objects[ref] {
		h.counts[s]--
		if h.counts[s] <= 0 {
			delete(h.counts, s)
		}
	}
	if len(health) == 0 {
		delete(h.objects, ref)
		return
	}
	now := make([]wecStatus, len(health))
	for i, x := range health {
		now[i] = wecStatus{WEC: x.WEC, Status: x.Status}
		h.counts[now[i]]++
	}
	h.objects[ref] = now
}

// snapshot copies the counts.
func (h wecHealth) snapshot() map[wecStatus]int {
	out := make(map[wecStatus]int, len(h.counts))
	for k, v := range h.counts {
		out[k] = v
	}
	return out
}
