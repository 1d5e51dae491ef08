package summary

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestHPASummary(t *testing.T) {
	g := NewWithT(t)
	hpa := object("autoscaling/v2", "HorizontalPodAutoscaler", 1, nil)
	steady := map[string]any{"observedGeneration": int64(1), "currentReplicas": int64(4), "desiredReplicas": int64(4),
		"lastScaleTime": "2025-06-01T10:00:00Z",
		"conditions": conds(cond("AbleToScale", "True", "ReadyForNewScale", "", "2025-06-01T09:00:00Z"),
			cond("ScalingLimited", "False", "DesiredWithinRange", "", "2025-06-01T09:00:00Z"))}
	limited := map[string]any{"observedGeneration": int64(1), "currentReplicas": int64(2), "desiredReplicas": int64(2),
		"lastScaleTime": "2025-06-01T11:00:00Z",
		"conditions": conds(cond("AbleToScale", "True", "ReadyForNewScale", "", "2025-06-01T09:00:00Z"),
			cond("ScalingLimited", "True", "TooManyReplicas", "the desired replica count is more than the maximum replica count", "2025-06-01T11:00:00Z"))}

	res, err := Summarize(hpa, []Report{report("a", steady), report("b", limited)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Status).To(HaveKeyWithValue("currentReplicas", int64(2)))
	g.Expect(res.Status).To(HaveKeyWithValue("desiredReplicas", int64(2)))
	g.Expect(res.Status).To(HaveKeyWithValue("lastScaleTime", "2025-06-01T11:00:00Z"))
	g.Expect(condition(res.Status, "AbleToScale")).To(HaveKeyWithValue("status", "True"))
	g.Expect(condition(res.Status, "ScalingLimited")).To(And(HaveKeyWithValue("status", "True"),
		HaveKeyWithValue("message", "True in b; False in a (b: the desired replica count is more than the maximum replica count)")))
}
