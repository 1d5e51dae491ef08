package summary

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestPVCSummary(t *testing.T) {
	pvc := object("v1", "PersistentVolumeClaim", 1, nil)
	claim := func(phase, size string) map[string]any {
		return map[string]any{"phase": phase, "accessModes": []any{"ReadWriteOnce"},
			"capacity": map[string]any{"storage": size}}
	}
	tests := []struct {
		name         string
		reports      []Report
		wantPhase    string
		wantCapacity string
	}{
		{"bound everywhere: the least capacity, as written", []Report{report("a", claim("Bound", "2Gi")), report("b", claim("Bound", "1536Mi"))},
			"Bound", "1536Mi"},
		{"pending in one WEC", []Report{report("a", claim("Bound", "1Gi")), report("b", claim("Pending", "2Gi"))}, "Pending", "1Gi"},
		{"lost is worse than pending", []Report{report("a", claim("Pending", "1Gi")), report("b", claim("Lost", "1Gi"))}, "Lost", "1Gi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			res, err := Summarize(pvc, tt.reports)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(res.Status["phase"]).To(Equal(tt.wantPhase))
			g.Expect(res.Status["capacity"]).To(Equal(map[string]any{"storage": tt.wantCapacity}))
		})
	}
}
