package summary

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestReplicaSetSummary(t *testing.T) {
	g := NewWithT(t)
	rs := object("apps/v1", "ReplicaSet", 1, map[string]any{"replicas": int64(2)})
	ok := map[string]any{"observedGeneration": int64(1), "replicas": int64(2), "fullyLabeledReplicas": int64(2),
		"readyReplicas": int64(2), "availableReplicas": int64(2)}
	failing := map[string]any{"observedGeneration": int64(1), "replicas": int64(1), "fullyLabeledReplicas": int64(1),
		"readyReplicas": int64(1), "availableReplicas": int64(0),
		"conditions": conds(cond("ReplicaFailure", "True", "FailedCreate", "pods \"app-x\" is forbidden: exceeded quota", "2025-09-06T07:00:00Z"))}

	res, err := Summarize(rs, []Report{report("quota", failing), report("fine", ok)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Status).To(HaveKeyWithValue("replicas", int64(1)))
	g.Expect(res.Status).To(HaveKeyWithValue("availableReplicas", int64(0)))
	g.Expect(conditionTypes(res.Status)).To(Equal([]string{"Reconciling", "ReplicaFailure"}))
	g.Expect(condition(res.Status, "ReplicaFailure")).To(And(
		HaveKeyWithValue("status", "True"), HaveKeyWithValue("reason", "FailedCreate")),
		"ReplicaFailure is abnormal-true: True where True in any WEC")
}
