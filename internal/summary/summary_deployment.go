package summary

// deploymentRule: replicas is too few and too many both a rollout still going (setReplicas);
// the other counts are the least over the WECs, except those where more is worse.
var deploymentRule = rule{
	replicas: true,
	least:    []string{updatedReplicas, readyReplicas, availableReplicas},
	most:     []string{"unavailableReplicas", "terminatingReplicas"},
}
