package summary

// replicaSetRule: like a Deployment's: replicas by setReplicas, the other counts the least,
// terminatingReplicas the greatest.
var replicaSetRule = rule{
	ints: []string{"replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "terminatingReplicas"},
	fields: func(s *set, out map[string]any) {
		s.setReplicas(out, "replicas", specReplicas(s.obj))
		s.setMin(out, "fullyLabeledReplicas", "readyReplicas", "availableReplicas")
		s.setMax(out, "terminatingReplicas")
	},
}
