package summary

// deploymentRule: counts are the least over the WECs, except replicas (too few and too many
// are both a rollout still going: summary.setReplicas) and unavailableReplicas and
// terminatingReplicas, where more is worse (the greatest).
var deploymentRule = rule{
	ints: []string{"replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
		"unavailableReplicas", "terminatingReplicas"},
	fields: func(s *set, out map[string]any) {
		s.setReplicas(out, "replicas", specReplicas(s.obj))
		s.setMin(out, "updatedReplicas", "readyReplicas", "availableReplicas")
		s.setMax(out, "unavailableReplicas", "terminatingReplicas")
	},
}
