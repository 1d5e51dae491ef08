package summary

import (
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// setObservedGeneration writes the least observedGeneration of the WECs, or none when a WEC
// reports none (it has observed nothing yet: kubectl reads a missing observedGeneration as 0,
// kstatus skips its check, so the summary says nothing either). When a WEC is Failed, the
// least among the Failed WECs (kstatus reads Failed only at the current generation): a failure
// is not hidden behind another WEC's lag, which Reconciling names.
func (s *set) setObservedGeneration(out map[string]any) {
	from := s.wecs
	if s.worst() == kstatus.FailedStatus.String() {
		from = s.withHealth(kstatus.FailedStatus.String())
	}
	least, found := minCount(from, "observedGeneration")
	for _, w := range from {
		if _, ok := count(w.status, "observedGeneration"); !ok {
			found = false
		}
	}
	put(out, "observedGeneration", least, found)
}
