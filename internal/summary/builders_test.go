package summary

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Builders for the table tests.

// object is a WDS object at generation gen with the given spec.
func object(apiVersion, kind string, gen int64, spec map[string]any) *unstructured.Unstructured {
	if spec == nil {
		spec = map[string]any{}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": apiVersion, "kind": kind,
		"metadata": map[string]any{"name": "app", "namespace": "ns", "generation": gen,
			"creationTimestamp": "2025-01-01T00:00:00Z"},
		"spec": spec,
	}}
}

func deployment(replicas int64) *unstructured.Unstructured {
	return object("apps/v1", "Deployment", 2, map[string]any{"replicas": replicas, "progressDeadlineSeconds": int64(600)})
}

// cond is a condition; at is its lastTransitionTime ("" for none).
func cond(typ, status, reason, message, at string) map[string]any {
	c := map[string]any{"type": typ, "status": status, "reason": reason, "message": message}
	if at != "" {
		c["lastTransitionTime"] = at
	}
	return c
}

func conds(cs ...map[string]any) []any {
	out := make([]any, len(cs))
	for i, c := range cs {
		out[i] = c
	}
	return out
}

// report is one WEC's report.
func report(wec string, status map[string]any) Report {
	return Report{WEC: wec, Status: status}
}

// condition finds a condition of the summarized status by type (nil when absent).
func condition(status map[string]any, typ string) map[string]any {
	list, _ := status["conditions"].([]any)
	for _, e := range list {
		if c, _ := e.(map[string]any); c["type"] == typ {
			return c
		}
	}
	return nil
}

// conditionTypes lists the summarized status's condition types in order.
func conditionTypes(status map[string]any) []string {
	list, _ := status["conditions"].([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		c, _ := e.(map[string]any)
		out = append(out, stringAt(c, "type"))
	}
	return out
}

// healthy deployment status at generation 2 with n replicas everywhere.
func deploymentReady(n int64) map[string]any {
	return map[string]any{
		"observedGeneration": int64(2), "replicas": n, "updatedReplicas": n, "readyReplicas": n,
		"availableReplicas": n,
		"conditions": conds(
			cond("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", "2025-09-06T07:09:15Z"),
			cond("Progressing", "True", "NewReplicaSetAvailable", `ReplicaSet "app-1" has successfully progressed.`, "2025-09-06T07:09:00Z"),
		),
	}
}
