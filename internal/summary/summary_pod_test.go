package summary

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestPodSummary(t *testing.T) {
	pod := object("v1", "Pod", 1, nil)
	running := func(ip string, ready string) map[string]any {
		return map[string]any{
			"phase": "Running", "podIP": ip,
			"conditions": conds(cond("Ready", ready, "", "", "2025-09-06T07:15:50Z"),
				cond("PodScheduled", "True", "", "", "2025-09-06T07:15:45Z")),
			"containerStatuses": []any{map[string]any{"name": "nginx", "ready": ready == "True",
				"state": map[string]any{"running": map[string]any{"startedAt": "2025-09-06T07:15:48Z"}}}},
		}
	}
	succeeded := map[string]any{"phase": "Succeeded",
		"conditions": conds(cond("Ready", "False", "PodCompleted", "", "2025-09-06T08:00:00Z"))}
	crashing := running("10.0.0.3", "False")
	crashing["containerStatuses"] = []any{map[string]any{"name": "nginx",
		"state": map[string]any{"waiting": map[string]any{"reason": "CrashLoopBackOff"}}}}
	unschedulable := map[string]any{"phase": "Pending",
		"conditions": conds(cond("PodScheduled", "False", "Unschedulable", "0/1 nodes are available", "2025-09-06T07:00:00Z"))}

	tests := []struct {
		name      string
		reports   []Report
		wantPhase string
		wantIP    any
		wantReady string
		wantWorst string
	}{
		{"running and ready everywhere", []Report{report("a", running("10.0.0.1", "True")), report("b", running("10.0.0.2", "True"))},
			"Running", "10.0.0.1", "True", "Current"},
		{"succeeded in one WEC, running and ready in another: ready among the running pods",
			[]Report{report("a", succeeded), report("b", running("10.0.0.2", "True"))}, "Running", "10.0.0.2", "True", "Current"},
		{"running but not ready in one WEC: that pod", []Report{report("a", running("10.0.0.1", "True")), report("b", running("10.0.0.2", "False"))},
			"Running", "10.0.0.2", "False", "InProgress"},
		{"crash-looping in one WEC: that pod, Failed", []Report{report("a", running("10.0.0.1", "True")), report("b", crashing)},
			"Running", "10.0.0.3", "False", "Failed"},
		{"unschedulable in one WEC: Pending", []Report{report("a", running("10.0.0.1", "True")), report("b", unschedulable)},
			"Pending", nil, "", "Failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			res, err := Summarize(pod, tt.reports)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(res.Status["phase"]).To(Equal(tt.wantPhase))
			if tt.wantIP == nil {
				g.Expect(res.Status).NotTo(HaveKey("podIP"))
			} else {
				g.Expect(res.Status["podIP"]).To(Equal(tt.wantIP), "the pod record is one WEC's")
			}
			g.Expect(stringAt(condition(res.Status, "Ready"), "status")).To(Equal(tt.wantReady))
			st, _ := kstatusOf(withStatus(pod, res.Status))
			g.Expect(st).To(Equal(tt.wantWorst))
		})
	}
}
