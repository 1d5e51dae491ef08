package summary

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestMergedConditions(t *testing.T) {
	widget := object("example.com/v1", "Widget", 1, nil)
	with := func(cs ...map[string]any) map[string]any {
		return map[string]any{"observedGeneration": int64(1), "conditions": conds(cs...)}
	}
	tests := []struct {
		name    string
		reports []Report
		typ     string
		want    map[string]any // nil: the type is left out
	}{{
		name:    "True everywhere: True, the latest transition",
		reports: []Report{report("a", with(cond("Synced", "True", "Ok", "in sync", "2025-06-01T10:00:00Z"))), report("b", with(cond("Synced", "True", "Ok", "in sync", "2025-06-01T12:00:00Z")))},
		typ:     "Synced",
		want:    cond("Synced", "True", "Ok", "in sync", "2025-06-01T12:00:00Z"),
	}, {
		name: "False in one WEC: False, its reason, the WECs named",
		reports: []Report{report("a", with(cond("Synced", "True", "Ok", "in sync", "2025-06-01T10:00:00Z"))),
			report("b", with(cond("Synced", "False", "Conflict", "field x is owned elsewhere", "2025-06-01T09:00:00Z")))},
		typ:  "Synced",
		want: cond("Synced", "False", "Conflict", "False in b; True in a (b: field x is owned elsewhere)", "2025-06-01T10:00:00Z"),
	}, {
		name: "False and Unknown: the worst WEC decides, every status named",
		reports: []Report{report("a", with(cond("Synced", "Unknown", "Pending", "", ""))),
			report("b", with(cond("Synced", "False", "Conflict", "", ""))), report("c", with(cond("Synced", "True", "Ok", "", "")))},
		typ:  "Synced",
		want: cond("Synced", "Unknown", "Pending", "Unknown in a; False in b; True in c", ""),
	}, {
		name:    "True where reported, absent in one WEC: left out",
		reports: []Report{report("a", with(cond("Synced", "True", "Ok", "", ""))), report("b", with())},
		typ:     "Synced",
	}, {
		name:    "False where reported, absent in one WEC: False",
		reports: []Report{report("a", with(cond("Synced", "False", "Conflict", "", ""))), report("b", with())},
		typ:     "Synced",
		want:    cond("Synced", "False", "Conflict", "", ""),
	}, {
		name:    "abnormal-true type True in one WEC: True",
		reports: []Report{report("a", with(cond("Degraded", "False", "Ok", "", ""))), report("b", with(cond("Degraded", "True", "DiskFull", "no space", "")))},
		typ:     "Degraded",
		want:    cond("Degraded", "True", "DiskFull", "True in b; False in a (b: no space)", ""),
	}, {
		name:    "a type listed twice in a WEC: the first counts, as kstatus reads it",
		reports: []Report{report("a", with(cond("Synced", "True", "Ok", "", ""), cond("Synced", "False", "Late", "", ""))), report("b", with(cond("Synced", "True", "Ok", "", "")))},
		typ:     "Synced",
		want:    cond("Synced", "True", "Ok", "", ""),
	}, {
		name: "the condition's own observedGeneration: the least",
		reports: []Report{report("a", with(map[string]any{"type": "Synced", "status": "True", "observedGeneration": int64(3)})),
			report("b", with(map[string]any{"type": "Synced", "status": "True", "observedGeneration": int64(2)}))},
		typ:  "Synced",
		want: map[string]any{"type": "Synced", "status": "True", "observedGeneration": int64(2)},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			res, err := Summarize(widget, tt.reports)
			g.Expect(err).NotTo(HaveOccurred())
			if tt.want == nil {
				g.Expect(condition(res.Status, tt.typ)).To(BeNil())
				return
			}
			g.Expect(condition(res.Status, tt.typ)).To(Equal(tt.want))
		})
	}
}

func TestGenericSummary(t *testing.T) {
	g := NewWithT(t)
	widget := object("example.com/v1", "Widget", 3, nil)
	ready := map[string]any{"observedGeneration": int64(3), "phase": "Serving", "endpoint": "https://a.example.com",
		"conditions": conds(cond("Ready", "True", "Ok", "", "2025-06-01T10:00:00Z"))}
	stalled := map[string]any{"observedGeneration": int64(3), "phase": "Broken", "endpoint": "https://b.example.com",
		"conditions": conds(cond("Ready", "False", "Error", "bad credentials", "2025-06-01T11:00:00Z"),
			cond("Stalled", "True", "Error", "bad credentials", "2025-06-01T11:00:00Z"))}

	res, err := Summarize(widget, []Report{report("a", ready), report("b", stalled)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Status).To(HaveKeyWithValue("phase", "Broken"), "the rest is the worst WEC's")
	g.Expect(res.Status).To(HaveKeyWithValue("endpoint", "https://b.example.com"))
	g.Expect(conditionTypes(res.Status)).To(Equal([]string{"Stalled", "Ready"}))
	g.Expect(condition(res.Status, "Stalled")).To(Equal(
		cond("Stalled", "True", "WECFailed", "1 of 2 WECs failed: b: bad credentials", "2025-06-01T11:00:00Z")))
	g.Expect(res.WECs).To(Equal([]Health{
		{WEC: "a", Status: "Current", Message: "Resource is Ready"},
		{WEC: "b", Status: "Failed", Message: "bad credentials"},
	}))
}
