package summary

// replicaSetRule: like a Deployment's.
var replicaSetRule = rule{
	replicas: true,
	least:    []string{"fullyLabeledReplicas", readyReplicas, availableReplicas},
	most:     []string{"terminatingReplicas"},
}
