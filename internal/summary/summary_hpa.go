package summary

// hpaRule: currentReplicas and desiredReplicas are counts, so each is the least over the WECs
// (each WEC scales its own copy on its own load; which WEC is limited or scaling shows in the
// merged conditions: AbleToScale and ScalingActive True only where True everywhere,
// ScalingLimited True where True anywhere); lastScaleTime the latest; currentMetrics the
// worst WEC's.
var hpaRule = rule{
	least:  []string{"currentReplicas", "desiredReplicas"},
	checks: []check{checkStrings("lastScaleTime")},
	fields: func(s *set, out map[string]any) {
		setTime(s.wecs, out, "lastScaleTime", latest)
	},
}
