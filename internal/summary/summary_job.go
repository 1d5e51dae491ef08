package summary

// jobRule: succeeded and ready the least; active, failed and terminating the greatest (pods
// still running, or failed, anywhere); startTime the earliest; completionTime the latest, and
// only when every WEC has completed. Conditions: Complete True only when True in every WEC,
// Failed True when True in any (conditions.go).
var jobRule = rule{
	least:  []string{"succeeded", "ready"},
	most:   []string{"active", "failed", "terminating"},
	checks: []check{checkStrings("startTime", "completionTime")},
	fields: func(s *set, out map[string]any) {
		setTime(s.wecs, out, "startTime", earliest)
		setCompletionTime(s, out)
	},
}

// setCompletionTime: the latest completionTime, when every WEC reports one.
func setCompletionTime(s *set, out map[string]any) {
	for _, w := range s.wecs {
		if _, ok := timeAt(w.status, "completionTime"); !ok {
			delete(out, "completionTime")
			return
		}
	}
	setTime(s.wecs, out, "completionTime", latest)
}
