package summary

import (
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// setObservedGeneration writes the least observedGeneration the WECs report. When a WEC is
// Failed, the least among the Failed WECs (kstatus reads Failed only at the current
// generation): a failure is not hidden behind another WEC's lag, which Reconciling names.
func (s *set) setObservedGeneration(out map[string]any) {
	from := s.wecs
	if s.worst() == kstatus.FailedStatus.String() {
		from = s.withHealth(kstatus.FailedStatus.String())
	}
	least, found := minReported(from, "observedGeneration")
	put(out, "observedGeneration", least, found)
}
