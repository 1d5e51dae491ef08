package summary

import (
	"fmt"
	"math/rand/v2"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The generators of the property test: statuses around the spec (counts one below to one
// above spec.replicas, observedGeneration behind or at generation, conditions in every state).
// Each case has a bias q: every choice takes its first, healthy, option with probability q,
// else any option; so cases range from random WECs to WECs that have all converged but one.

type gen struct {
	*rand.Rand
	q float64
}

// choose is an index below n: 0 (the healthy option) with probability q.
func (g *gen) choose(n int) int {
	if g.Float64() < g.q {
		return 0
	}
	return g.IntN(n)
}

// around is a count from 0 to one above n: n with probability q.
func (g *gen) around(n int) int64 {
	if g.Float64() < g.q {
		return int64(n)
	}
	return int64(g.IntN(n + 2))
}

// oneIn is true with probability 1/n, never under full bias.
func (g *gen) oneIn(n int) bool {
	return g.Float64() >= g.q && g.IntN(n) == 0
}

func genObj(apiVersion, kind string) func(g *gen) *unstructured.Unstructured {
	return func(g *gen) *unstructured.Unstructured {
		meta := map[string]any{
			"name": "app", "namespace": "ns",
			"creationTimestamp": "2025-01-01T00:00:00Z",
		}
		if g.IntN(10) > 0 {
			meta["generation"] = int64(1 + g.IntN(3))
		}
		if g.IntN(40) == 0 {
			meta["deletionTimestamp"] = "2025-01-02T00:00:00Z"
		}
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": apiVersion, "kind": kind, "metadata": meta, "spec": map[string]any{},
		}}
	}
}

func spec(obj *unstructured.Unstructured) map[string]any {
	s, _ := obj.Object["spec"].(map[string]any)
	return s
}

func genReplicasObj(apiVersion, kind string) func(g *gen) *unstructured.Unstructured {
	return func(g *gen) *unstructured.Unstructured {
		obj := genObj(apiVersion, kind)(g)
		if g.IntN(6) > 0 {
			spec(obj)["replicas"] = int64(g.IntN(4))
		}
		return obj
	}
}

func genDeploymentObj(g *gen) *unstructured.Unstructured {
	obj := genReplicasObj("apps/v1", "Deployment")(g)
	if g.IntN(3) > 0 {
		spec(obj)["progressDeadlineSeconds"] = int64(600)
	}
	return obj
}

func genStatefulSetObj(g *gen) *unstructured.Unstructured {
	obj := genReplicasObj("apps/v1", "StatefulSet")(g)
	switch g.IntN(4) {
	case 0:
		spec(obj)["updateStrategy"] = map[string]any{"type": "OnDelete"}
	case 1:
		spec(obj)["updateStrategy"] = map[string]any{"type": "RollingUpdate",
			"rollingUpdate": map[string]any{"partition": int64(g.IntN(2))}}
	}
	return obj
}

func genJobObj(g *gen) *unstructured.Unstructured {
	obj := genObj("batch/v1", "Job")(g)
	if g.IntN(2) == 0 {
		spec(obj)["completions"] = int64(1 + g.IntN(3))
	}
	return obj
}

func genServiceObj(g *gen) *unstructured.Unstructured {
	obj := genObj("v1", "Service")(g)
	if g.IntN(2) == 0 {
		spec(obj)["type"] = "LoadBalancer"
		if g.IntN(3) > 0 {
			spec(obj)["clusterIP"] = "10.96.0.10"
		}
	}
	return obj
}

// target is spec.replicas as the controllers read it.
func target(obj *unstructured.Unstructured) int {
	if n, ok := intValue(spec(obj)["replicas"]); ok {
		return int(n)
	}
	return 1
}

// withGeneration sets observedGeneration behind, at, or not at all.
func withGeneration(g *gen, obj *unstructured.Unstructured, status map[string]any) map[string]any {
	gen := obj.GetGeneration()
	switch g.choose(6) {
	case 1:
		return status
	case 2:
		status["observedGeneration"] = max(gen-1, 0)
	default:
		status["observedGeneration"] = gen
	}
	return status
}

// variant is one state a condition type can be in.
type variant struct{ status, reason string }

var (
	anyState  = []variant{{"True", "Ok"}, {"False", "NotOk"}, {"Unknown", "Unknown"}, {"", ""}}
	abnormal  = []variant{{"False", "Idle"}, {"True", "Busy"}}
	condTimes = []string{"2025-06-01T10:00:00Z", "2025-06-01T11:00:00Z", "2025-06-02T09:30:00Z"}
)

// conditions lists some of the types, each in one of its variants (a type absent 1 time in
// 4), plus kstatus's Reconciling and Stalled now and then, in a random order.
func conditions(g *gen, types map[string][]variant) []any {
	var out []any
	add := func(typ string, vs []variant) {
		v := vs[g.choose(len(vs))]
		c := map[string]any{"type": typ, "status": v.status, "reason": v.reason,
			"message": typ + " is " + v.status, "lastTransitionTime": condTimes[g.IntN(len(condTimes))]}
		out = append(out, c)
	}
	for _, typ := range sortedKeys(types) {
		if !g.oneIn(4) {
			add(typ, types[typ])
		}
	}
	for _, typ := range []string{"Reconciling", "Stalled"} {
		if g.oneIn(12) {
			add(typ, abnormal)
		}
	}
	g.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func sortedKeys(m map[string][]variant) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

func genDeploymentStatus(g *gen, obj *unstructured.Unstructured) map[string]any {
	n := target(obj)
	return withGeneration(g, obj, map[string]any{
		"replicas": g.around(n), "updatedReplicas": g.around(n), "readyReplicas": g.around(n),
		"availableReplicas": g.around(n), "unavailableReplicas": g.around(0),
		"conditions": conditions(g, map[string][]variant{
			"Available": anyState,
			"Progressing": {{"True", "NewReplicaSetAvailable"}, {"True", "ReplicaSetUpdated"},
				{"False", "ProgressDeadlineExceeded"}, {"Unknown", ""}},
			"ReplicaFailure": abnormal,
		}),
	})
}

func genStatefulSetStatus(g *gen, obj *unstructured.Unstructured) map[string]any {
	n := target(obj)
	revs := []string{"app-1", "app-2"}
	return withGeneration(g, obj, map[string]any{
		"replicas": g.around(n), "readyReplicas": g.around(n), "currentReplicas": g.around(n),
		"updatedReplicas": g.around(n), "availableReplicas": g.around(n),
		"currentRevision": revs[g.choose(2)], "updateRevision": revs[g.choose(2)],
	})
}

func genDaemonSetStatus(g *gen, obj *unstructured.Unstructured) map[string]any {
	d := g.IntN(4)
	status := map[string]any{
		"currentNumberScheduled": g.around(d), "updatedNumberScheduled": g.around(d),
		"numberAvailable": g.around(d), "numberReady": g.around(d),
		"numberUnavailable": g.around(0), "numberMisscheduled": g.around(0),
	}
	if !g.oneIn(8) {
		status["desiredNumberScheduled"] = int64(d)
	}
	return withGeneration(g, obj, status)
}

func genReplicaSetStatus(g *gen, obj *unstructured.Unstructured) map[string]any {
	n := target(obj)
	return withGeneration(g, obj, map[string]any{
		"replicas": g.around(n), "fullyLabeledReplicas": g.around(n), "readyReplicas": g.around(n),
		"availableReplicas": g.around(n),
		"conditions":        conditions(g, map[string][]variant{"ReplicaFailure": abnormal}),
	})
}

func genJobStatus(g *gen, obj *unstructured.Unstructured) map[string]any {
	status := map[string]any{"active": g.around(1), "succeeded": g.around(2), "failed": g.around(0)}
	if !g.oneIn(4) {
		status["startTime"] = condTimes[g.IntN(len(condTimes))]
	}
	types := map[string][]variant{"Suspended": abnormal}
	switch g.IntN(3) {
	case 0:
		types["Complete"] = []variant{{"True", "Completed"}}
		types["SuccessCriteriaMet"] = []variant{{"True", "Completed"}}
		status["completionTime"] = condTimes[g.IntN(len(condTimes))]
	case 1:
		types["Failed"] = []variant{{"True", "BackoffLimitExceeded"}, {"False", ""}}
		types["FailureTarget"] = abnormal
	}
	status["conditions"] = conditions(g, types)
	return withGeneration(g, obj, status)
}

func genPodStatus(g *gen, obj *unstructured.Unstructured) map[string]any {
	phases := []string{"Running", "Succeeded", "Failed", "Pending", "Unknown", ""}
	status := map[string]any{"phase": phases[g.choose(len(phases))]}
	status["conditions"] = conditions(g, map[string][]variant{
		"Ready": anyState, "ContainersReady": anyState, "Initialized": anyState,
		"PodScheduled": {{"True", ""}, {"False", "Unschedulable"}, {"False", "SchedulerError"}},
	})
	n := g.IntN(3)
	containers := make([]any, 0, n)
	for i := range n {
		state := map[string]any{"running": map[string]any{"startedAt": condTimes[0]}}
		if g.oneIn(3) {
			reasons := []string{"CrashLoopBackOff", "ImagePullBackOff", "ContainerCreating"}
			state = map[string]any{"waiting": map[string]any{"reason": reasons[g.IntN(len(reasons))]}}
		}
		containers = append(containers, map[string]any{"name": fmt.Sprintf("c%d", i), "state": state})
	}
	if n > 0 {
		status["containerStatuses"] = containers
	}
	return withGeneration(g, obj, status)
}

func genServiceStatus(g *gen, _ *unstructured.Unstructured) map[string]any {
	pool := []map[string]any{{"ip": "192.0.2.1"}, {"ip": "192.0.2.2"}, {"hostname": "lb.example.com"}}
	var ingress []any
	for _, p := range pool {
		if g.IntN(2) == 0 {
			ingress = append(ingress, deepCopyMap(p))
		}
	}
	return map[string]any{
		"loadBalancer": map[string]any{"ingress": ingress},
		"conditions":   conditions(g, map[string][]variant{"LoadBalancerReady": anyState}),
	}
}

func genPVCStatus(g *gen, _ *unstructured.Unstructured) map[string]any {
	phases := []string{"Bound", "Pending", "Lost", ""}
	sizes := []string{"1Gi", "1024Mi", "2Gi"}
	return map[string]any{
		"phase":      phases[g.choose(len(phases))],
		"capacity":   map[string]any{"storage": sizes[g.IntN(len(sizes))]},
		"conditions": conditions(g, map[string][]variant{"Resizing": abnormal}),
	}
}

func genHPAStatus(g *gen, obj *unstructured.Unstructured) map[string]any {
	return withGeneration(g, obj, map[string]any{
		"currentReplicas": g.around(3), "desiredReplicas": g.around(3),
		"conditions": conditions(g, map[string][]variant{
			"AbleToScale": anyState, "ScalingActive": anyState, "ScalingLimited": abnormal,
		}),
	})
}

func genGenericStatus(g *gen, obj *unstructured.Unstructured) map[string]any {
	return withGeneration(g, obj, map[string]any{
		"phase":      []string{"Ready", "Pending"}[g.choose(2)],
		"conditions": conditions(g, map[string][]variant{"Ready": anyState, "Synced": anyState}),
	})
}
