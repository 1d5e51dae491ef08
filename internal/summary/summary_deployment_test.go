package summary

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestDeploymentSummary(t *testing.T) {
	rollingOut := map[string]any{
		"observedGeneration": int64(2), "replicas": int64(4), "updatedReplicas": int64(2),
		"readyReplicas": int64(3), "availableReplicas": int64(3), "unavailableReplicas": int64(1),
		"conditions": conds(
			cond("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", "2025-09-06T07:00:00Z"),
			cond("Progressing", "True", "ReplicaSetUpdated", `ReplicaSet "app-2" is progressing.`, "2025-09-06T08:00:00Z"),
		),
	}
	notObserved := deploymentReady(3)
	notObserved["observedGeneration"] = int64(1)
	unavailable := map[string]any{
		"observedGeneration": int64(2), "replicas": int64(3), "updatedReplicas": int64(3),
		"readyReplicas": int64(1), "availableReplicas": int64(1), "unavailableReplicas": int64(2),
		"conditions": conds(
			cond("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.", "2025-09-06T09:00:00Z"),
			cond("Progressing", "True", "ReplicaSetUpdated", `ReplicaSet "app-2" is progressing.`, "2025-09-06T08:30:00Z"),
		),
	}
	deadline := deploymentReady(3)
	deadline["conditions"] = conds(
		cond("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", "2025-09-06T07:00:00Z"),
		cond("Progressing", "False", "ProgressDeadlineExceeded", `ReplicaSet "app-2" has timed out progressing.`, "2025-09-06T10:00:00Z"),
	)

	t.Run("three WECs at different stages: counts, conditions and the WECs named", func(t *testing.T) {
		g := NewWithT(t)
		res, err := Summarize(deployment(3), []Report{
			report("wec-c", unavailable), report("wec-a", deploymentReady(3)), report("wec-b", rollingOut),
		})
		g.Expect(err).NotTo(HaveOccurred())
		s := res.Status
		g.Expect(s).To(HaveKeyWithValue("observedGeneration", int64(2)))
		g.Expect(s).To(HaveKeyWithValue("replicas", int64(4)), "no WEC short of 3: the surplus shows")
		g.Expect(s).To(HaveKeyWithValue("updatedReplicas", int64(2)))
		g.Expect(s).To(HaveKeyWithValue("readyReplicas", int64(1)))
		g.Expect(s).To(HaveKeyWithValue("availableReplicas", int64(1)))
		g.Expect(s).To(HaveKeyWithValue("unavailableReplicas", int64(2)), "more unavailable is worse: the greatest")
		g.Expect(conditionTypes(s)).To(Equal([]string{"Reconciling", "Available", "Progressing"}))

		available := condition(s, "Available")
		g.Expect(available).To(HaveKeyWithValue("status", "False"))
		g.Expect(available).To(HaveKeyWithValue("reason", "MinimumReplicasUnavailable"))
		g.Expect(available).To(HaveKeyWithValue("message",
			"False in wec-c; True in wec-a, wec-b (wec-c: Deployment does not have minimum availability.)"))
		g.Expect(available).To(HaveKeyWithValue("lastTransitionTime", "2025-09-06T09:00:00Z"))

		progressing := condition(s, "Progressing")
		g.Expect(progressing).To(HaveKeyWithValue("status", "True"))
		g.Expect(progressing).To(HaveKeyWithValue("reason", "ReplicaSetUpdated"), "the reason of the worst WEC")

		reconciling := condition(s, "Reconciling")
		g.Expect(reconciling).To(HaveKeyWithValue("status", "True"))
		g.Expect(reconciling).To(HaveKeyWithValue("reason", "WECInProgress"))
		g.Expect(reconciling["message"]).To(And(HavePrefix("2 of 3 WECs in progress: "),
			ContainSubstring("wec-b: Updated: 2/3"), ContainSubstring("wec-c: Available: 1/3")))

		g.Expect(res.WECs).To(Equal([]Health{
			{WEC: "wec-a", Status: "Current", Message: "Deployment is available. Replicas: 3"},
			{WEC: "wec-b", Status: "InProgress", Message: "Updated: 2/3"},
			{WEC: "wec-c", Status: "InProgress", Message: "Available: 1/3"},
		}))
	})

	t.Run("a WEC short of spec.replicas: the least replicas", func(t *testing.T) {
		g := NewWithT(t)
		short := deploymentReady(2)
		res, err := Summarize(deployment(3), []Report{report("a", rollingOut), report("b", short)})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Status).To(HaveKeyWithValue("replicas", int64(2)))
	})

	t.Run("a WEC that has not observed the generation: observedGeneration is the least", func(t *testing.T) {
		g := NewWithT(t)
		res, err := Summarize(deployment(3), []Report{report("a", deploymentReady(3)), report("b", notObserved)})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Status).To(HaveKeyWithValue("observedGeneration", int64(1)))
		g.Expect(condition(res.Status, "Reconciling")["message"]).To(
			Equal("1 of 2 WECs in progress: b: Deployment generation is 2, but latest observed generation is 1"))
	})

	t.Run("a WEC without observedGeneration: none in the summary", func(t *testing.T) {
		g := NewWithT(t)
		fresh := deploymentReady(3)
		delete(fresh, "observedGeneration")
		res, err := Summarize(deployment(3), []Report{report("a", deploymentReady(3)), report("b", fresh)})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Status).NotTo(HaveKey("observedGeneration"))
	})

	t.Run("a failed WEC wins over one that lags: Stalled first, its observedGeneration", func(t *testing.T) {
		g := NewWithT(t)
		res, err := Summarize(deployment(3), []Report{report("lagging", notObserved), report("stuck", deadline)})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Status).To(HaveKeyWithValue("observedGeneration", int64(2)))
		g.Expect(conditionTypes(res.Status)).To(Equal([]string{"Stalled", "Reconciling", "Available", "Progressing"}))
		g.Expect(condition(res.Status, "Stalled")).To(HaveKeyWithValue("message",
			"1 of 2 WECs failed: stuck: Progress deadline exceeded"))
		g.Expect(condition(res.Status, "Progressing")).To(HaveKeyWithValue("reason", "ProgressDeadlineExceeded"))
		g.Expect(res.WECs[1]).To(Equal(Health{WEC: "stuck", Status: "Failed", Message: "Progress deadline exceeded"}))
	})

	t.Run("every WEC ready: the summary is their status, nothing added", func(t *testing.T) {
		g := NewWithT(t)
		res, err := Summarize(deployment(3), []Report{report("a", deploymentReady(3)), report("b", deploymentReady(3))})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Status).To(Equal(deploymentReady(3)))
	})
}
