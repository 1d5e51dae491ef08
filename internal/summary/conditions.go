package summary

import (
	"fmt"
	"slices"
	"strings"
)

const (
	condTrue = "True"

	// Stalled and Reconciling are kstatus's own condition types (abnormal-true).
	condStalled     = "Stalled"
	condReconciling = "Reconciling"
)

// negative are the condition types whose True is the abnormal state: in the summary they are
// True where True in any WEC. Every other type is True only where True in every WEC.
var negative = map[string]bool{
	condReconciling: true, condStalled: true,
	"Failed": true, "FailureTarget": true, "ReplicaFailure": true, "Degraded": true,
	"DisruptionTarget": true, "ScalingLimited": true, "Suspended": true,
	"Resizing": true, "FileSystemResizePending": true, "ControllerResizeError": true, "NodeResizeError": true,
}

// entry is one WEC's condition of one type (its first one, as kstatus reads it).
type entry struct {
	wec  string
	cond map[string]any
}

func (e entry) status() string { return stringAt(e.cond, "status") }

// bad says whether e is in the abnormal state for its type.
func (e entry) bad(typ string) bool {
	return (e.status() == condTrue) == negative[typ]
}

// mergedConditions merges, type by type, the conditions of the voting WECs (ordered worst
// first). Types appear in the order the WECs list them, worst WEC first; skip names types
// left out.
func mergedConditions(voters []*wec, skip map[string]bool) []any {
	types, byType := conditionEntries(voters)
	out := make([]any, 0, len(types))
	for _, typ := range types {
		if skip[typ] {
			continue
		}
		if c, ok := mergeType(typ, byType[typ], len(voters)); ok {
			out = append(out, c)
		}
	}
	return out
}

// conditionEntries groups the voters' conditions by type, keeping each WEC's first one.
func conditionEntries(voters []*wec) (types []string, byType map[string][]entry) {
	byType = map[string][]entry{}
	for _, w := range voters {
		list, _ := w.status["conditions"].([]any)
		seen := map[string]bool{}
		for _, e := range list {
			c, _ := e.(map[string]any)
			typ := stringAt(c, "type")
			if seen[typ] {
				continue
			}
			seen[typ] = true
			if _, ok := byType[typ]; !ok {
				types = append(types, typ)
			}
			byType[typ] = append(byType[typ], entry{wec: w.name, cond: c})
		}
	}
	return types, byType
}

// mergeType merges the entries of one type. The deciding entry is the first (worst WEC) in
// the abnormal state; with none, the first. A normal-true type that some voter does not report
// while the others report True is left out: no WEC denies it, but not all confirm it.
func mergeType(typ string, entries []entry, voters int) (map[string]any, bool) {
	decider, found := firstBad(typ, entries)
	if !found && !negative[typ] && len(entries) < voters {
		return nil, false
	}
	out := deepCopyMap(decider.cond)
	setLatest(out, entries, "lastTransitionTime")
	setLatest(out, entries, "lastUpdateTime")
	setMinInt(out, entries, "observedGeneration")
	if msg, differ := nameDifferences(entries, decider); differ {
		out["message"] = msg
	}
	return out, true
}

func firstBad(typ string, entries []entry) (entry, bool) {
	for _, e := range entries {
		if e.bad(typ) {
			return e, true
		}
	}
	return entries[0], false
}

// setLatest sets field to the latest parsable time among the entries, when there is one.
func setLatest(out map[string]any, entries []entry, field string) {
	conds := make([]map[string]any, len(entries))
	for i, e := range entries {
		conds[i] = e.cond
	}
	if text := pickTime(conds, field, latest); text != "" {
		out[field] = text
	}
}

// setMinInt sets field to the least integer among the entries, when there is one.
func setMinInt(out map[string]any, entries []entry, field string) {
	found := false
	var least int64
	for _, e := range entries {
		if n, ok := intValue(e.cond[field]); ok && (!found || n < least) {
			least, found = n, true
		}
	}
	if found {
		out[field] = least
	}
}

// nameDifferences: when the entries do not all share the decider's status, a message that
// names the WECs per status (the decider's first, names sorted) and carries the decider's
// message.
func nameDifferences(entries []entry, decider entry) (string, bool) {
	order := []string{decider.status()}
	byStatus := map[string][]string{}
	for _, e := range entries {
		st := e.status()
		if _, ok := byStatus[st]; !ok && st != decider.status() {
			order = append(order, st)
		}
		byStatus[st] = append(byStatus[st], e.wec)
	}
	if len(order) == 1 {
		return "", false
	}
	parts := make([]string, 0, len(order))
	for _, st := range order {
		slices.Sort(byStatus[st])
		parts = append(parts, fmt.Sprintf("%s in %s", quoteEmpty(st), strings.Join(byStatus[st], ", ")))
	}
	msg := strings.Join(parts, "; ")
	if m := stringAt(decider.cond, "message"); m != "" {
		msg += " (" + decider.wec + ": " + m + ")"
	}
	return msg, true
}

func quoteEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}
