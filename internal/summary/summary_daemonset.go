package summary

// daemonSetGood are the DaemonSet counts that should reach desiredNumberScheduled.
var daemonSetGood = []string{"currentNumberScheduled", "updatedNumberScheduled", "numberAvailable", "numberReady"}

// daemonSetRule: each WEC has its own desiredNumberScheduled (its own nodes), so counts are
// measured against it: the summary's desiredNumberScheduled is the greatest, and each count
// that should reach it is that minus the largest shortfall of any WEC. When the WECs agree on
// desiredNumberScheduled this is the least count; a WEC short of its own target always
// shows as short. numberUnavailable and numberMisscheduled, where more is worse: the greatest.
var daemonSetRule = rule{
	most:   []string{"desiredNumberScheduled", "numberUnavailable", "numberMisscheduled"},
	ints:   daemonSetGood,
	fields: setDaemonSetCounts,
}

// setDaemonSetCounts writes the counts that should reach desiredNumberScheduled.
func setDaemonSetCounts(s *set, out map[string]any) {
	desired, _ := maxCount(s.wecs, "desiredNumberScheduled")
	for _, f := range daemonSetGood {
		setShortfall(s, out, f, desired)
	}
}

// setShortfall writes field as desired minus the largest shortfall of a WEC against its own
// desiredNumberScheduled (never below 0, never above desired).
func setShortfall(s *set, out map[string]any, field string, desired int64) {
	var worst int64
	found := false
	for _, w := range s.wecs {
		n, ok := count(w.status, field)
		found = found || ok
		d, _ := count(w.status, "desiredNumberScheduled")
		worst = max(worst, d-n)
	}
	put(out, field, max(desired-worst, 0), found)
}
