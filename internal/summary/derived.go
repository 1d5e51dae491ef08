package summary

import (
	"fmt"
	"strings"

	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// setConditions writes the summary's conditions: kstatus's Stalled and Reconciling derived
// from the WECs' kstatus first (when some WEC is Failed or InProgress), then the voters'
// conditions merged type by type. With nothing to write, the base's empty list (or null)
// stays.
func (s *set) setConditions(out map[string]any) {
	derived := s.derivedConditions()
	var skip map[string]bool
	if len(derived) > 0 {
		skip = map[string]bool{condStalled: true, condReconciling: true}
	}
	merged := mergedConditions(s.voters(), skip)
	if len(derived)+len(merged) > 0 {
		out["conditions"] = append(derived, merged...)
	} else if list, _ := out["conditions"].([]any); len(list) > 0 {
		delete(out, "conditions")
	}
}

// voters are the WECs whose conditions are merged.
func (s *set) voters() []*wec {
	if s.rule.voters != nil {
		return s.rule.voters(s)
	}
	return s.wecs
}

// derivedConditions: Stalled=True naming the Failed WECs, Reconciling=True naming the
// InProgress ones. Stalled comes first, so that kstatus reads Failed when a WEC is Failed.
func (s *set) derivedConditions() []any {
	var out []any
	if failed := s.withHealth(kstatus.FailedStatus.String()); len(failed) > 0 {
		out = append(out, s.derived(condStalled, "WECFailed", "failed", failed))
	}
	if busy := s.withHealth(kstatus.InProgressStatus.String()); len(busy) > 0 {
		out = append(out, s.derived(condReconciling, "WECInProgress", "in progress", busy))
	}
	return out
}

// derived is one derived condition: it names each WEC with kstatus's message for it.
func (s *set) derived(typ, reason, state string, ws []*wec) map[string]any {
	parts := make([]string, 0, len(ws))
	for _, w := range ws {
		parts = append(parts, w.name+": "+w.health.Message)
	}
	c := map[string]any{
		"type":    typ,
		"status":  condTrue,
		"reason":  reason,
		"message": fmt.Sprintf("%d of %d WECs %s: %s", len(ws), len(s.wecs), state, strings.Join(parts, "; ")),
	}
	if t := latestTransition(ws); t != "" {
		c["lastTransitionTime"] = t
	}
	return c
}

// latestTransition is the latest lastTransitionTime of the WECs' conditions: the clock stays
// outside, so a derived condition is dated by the WECs' own latest change ("" if none).
func latestTransition(ws []*wec) string {
	var conds []map[string]any
	for _, w := range ws {
		list, _ := w.status["conditions"].([]any)
		for _, e := range list {
			if c, ok := e.(map[string]any); ok {
				conds = append(conds, c)
			}
		}
	}
	return pickTime(conds, "lastTransitionTime", latest)
}
