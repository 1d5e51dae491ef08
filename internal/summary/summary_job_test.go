package summary

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestJobSummary(t *testing.T) {
	job := object("batch/v1", "Job", 1, map[string]any{"completions": int64(1)})
	complete := func(start, end string) map[string]any {
		return map[string]any{
			"succeeded": int64(1), "active": int64(0), "failed": int64(0), "ready": int64(0),
			"startTime": start, "completionTime": end,
			"conditions": conds(cond("Complete", "True", "", "", end)),
		}
	}
	running := map[string]any{"active": int64(1), "succeeded": int64(0), "ready": int64(1),
		"startTime": "2025-06-01T09:00:00Z"}
	failed := map[string]any{"failed": int64(3), "startTime": "2025-06-01T08:00:00Z",
		"conditions": conds(cond("Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit", "2025-06-01T09:30:00Z"))}

	t.Run("complete everywhere: Complete, earliest start, latest completion", func(t *testing.T) {
		g := NewWithT(t)
		res, err := Summarize(job, []Report{
			report("a", complete("2025-06-01T10:00:00Z", "2025-06-01T10:05:00Z")),
			report("b", complete("2025-06-01T09:00:00Z", "2025-06-01T11:00:00Z")),
		})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Status).To(HaveKeyWithValue("startTime", "2025-06-01T09:00:00Z"))
		g.Expect(res.Status).To(HaveKeyWithValue("completionTime", "2025-06-01T11:00:00Z"))
		g.Expect(condition(res.Status, "Complete")).To(HaveKeyWithValue("status", "True"))
	})

	t.Run("complete in one WEC, running in another: not complete, no completionTime", func(t *testing.T) {
		g := NewWithT(t)
		res, err := Summarize(job, []Report{
			report("a", complete("2025-06-01T10:00:00Z", "2025-06-01T10:05:00Z")), report("b", running),
		})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Status).NotTo(HaveKey("completionTime"))
		g.Expect(condition(res.Status, "Complete")).To(BeNil(), "b does not deny it, but does not confirm it")
		g.Expect(res.Status).To(HaveKeyWithValue("active", int64(1)), "pods still active somewhere")
		g.Expect(res.Status).To(HaveKeyWithValue("succeeded", int64(0)))
		g.Expect(res.Status).To(HaveKeyWithValue("startTime", "2025-06-01T09:00:00Z"))
	})

	t.Run("failed in one WEC: Failed, Stalled naming it, the greatest failed count", func(t *testing.T) {
		g := NewWithT(t)
		res, err := Summarize(job, []Report{report("a", running), report("b", failed)})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(conditionTypes(res.Status)).To(Equal([]string{"Stalled", "Failed"}))
		g.Expect(condition(res.Status, "Stalled")).To(HaveKeyWithValue("message", "1 of 2 WECs failed: b: Job Failed. failed: 3/1"))
		g.Expect(res.Status).To(HaveKeyWithValue("failed", int64(3)))
	})
}
