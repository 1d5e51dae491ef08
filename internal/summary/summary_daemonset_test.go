package summary

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestDaemonSetSummary(t *testing.T) {
	ds := object("apps/v1", "DaemonSet", 1, nil)
	status := func(desired, current, updated, available, ready, unavailable int64) map[string]any {
		return map[string]any{
			"observedGeneration": int64(1), "desiredNumberScheduled": desired, "currentNumberScheduled": current,
			"updatedNumberScheduled": updated, "numberAvailable": available, "numberReady": ready,
			"numberUnavailable": unavailable, "numberMisscheduled": int64(0),
		}
	}
	tests := []struct {
		name    string
		reports []Report
		want    map[string]any
	}{{
		name:    "the WECs agree on desiredNumberScheduled: the least counts",
		reports: []Report{report("a", status(3, 3, 3, 3, 3, 0)), report("b", status(3, 3, 2, 1, 2, 2))},
		want:    status(3, 3, 2, 1, 2, 2),
	}, {
		name:    "a WEC with more nodes, all done: complete against the greatest desired",
		reports: []Report{report("a", status(5, 5, 5, 5, 5, 0)), report("b", status(3, 3, 3, 3, 3, 0))},
		want:    status(5, 5, 5, 5, 5, 0),
	}, {
		name:    "the WEC with fewer nodes is short: its shortfall against the greatest desired",
		reports: []Report{report("a", status(5, 5, 5, 5, 5, 0)), report("b", status(3, 3, 1, 3, 2, 1))},
		want:    status(5, 5, 3, 5, 4, 1),
	}, {
		name:    "a WEC with no nodes does not hide another's shortfall",
		reports: []Report{report("a", status(0, 0, 0, 0, 0, 0)), report("b", status(2, 2, 2, 0, 0, 2))},
		want:    status(2, 2, 2, 0, 0, 2),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			res, err := Summarize(ds, tt.reports)
			g.Expect(err).NotTo(HaveOccurred())
			delete(res.Status, "conditions")
			g.Expect(res.Status).To(Equal(tt.want))
		})
	}
}
