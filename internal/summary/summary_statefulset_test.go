package summary

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestStatefulSetSummary(t *testing.T) {
	sts := object("apps/v1", "StatefulSet", 1, map[string]any{"replicas": int64(2)})
	ready := func(rev string) map[string]any {
		return map[string]any{
			"observedGeneration": int64(1), "replicas": int64(2), "readyReplicas": int64(2),
			"currentReplicas": int64(2), "updatedReplicas": int64(2), "availableReplicas": int64(2),
			"currentRevision": rev, "updateRevision": rev, "collisionCount": int64(0),
		}
	}
	rolling := map[string]any{
		"observedGeneration": int64(1), "replicas": int64(2), "readyReplicas": int64(1),
		"currentReplicas": int64(1), "updatedReplicas": int64(1), "availableReplicas": int64(1),
		"currentRevision": "web-1", "updateRevision": "web-2",
	}
	tests := []struct {
		name    string
		reports []Report
		want    map[string]any
	}{{
		name:    "every WEC ready: their status",
		reports: []Report{report("a", ready("web-1")), report("b", ready("web-1"))},
		want:    ready("web-1"),
	}, {
		name:    "one WEC rolling out: least counts, its revisions",
		reports: []Report{report("a", ready("web-2")), report("b", rolling)},
		want: map[string]any{
			"observedGeneration": int64(1), "replicas": int64(2), "readyReplicas": int64(1),
			"currentReplicas": int64(1), "updatedReplicas": int64(1), "availableReplicas": int64(1),
			"currentRevision": "web-1", "updateRevision": "web-2",
			"conditions": conds(cond("Reconciling", "True", "WECInProgress", "1 of 2 WECs in progress: b: Ready: 1/2", "")),
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			res, err := Summarize(sts, tt.reports)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(res.Status).To(Equal(tt.want))
		})
	}
}
