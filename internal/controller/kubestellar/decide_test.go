package kubestellar

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/singleton-operator/singleton-operator/internal/summary"
)

// summaryOf is what the summary (internal/summary, which tests what it holds) makes of reports
// on the test object: what decide must write on the multi-WEC path.
func summaryOf(reports ...summary.Report) map[string]any {
	res, err := summary.Summarize(object(nil, nil), reports)
	if err != nil {
		panic(err)
	}
	return res.Status
}

// report is wec's report of a StatefulSet with ready replicas; on the test object (no spec,
// so one replica wanted, and no status.replicas) its health is InProgress.
func report(wec string, ready int64) summary.Report {
	return summary.Report{WEC: wec, Status: map[string]any{"readyReplicas": ready}}
}

func object(labels map[string]string, status map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apps/v1", "kind": "StatefulSet"}}
	u.SetNamespace("ns")
	u.SetName("web")
	if labels != nil {
		u.SetLabels(labels)
	}
	if status != nil {
		u.Object["status"] = status
	}
	return u
}

func TestDispatch(t *testing.T) {
	for _, tc := range []struct {
		name          string
		single, multi bool
		n             int
		want          string
	}{
		{"singleton only, one qualified WEC", true, false, 1, modeSingleton},
		{"singleton only, two qualified WECs: the singleton path, nothing returned", true, false, 2, modeSingleton},
		{"singleton only, no qualified WEC", true, false, 0, modeSingleton},
		{"both, one qualified WEC", true, true, 1, modeSingleton},
		{"both, three qualified WECs", true, true, 3, modeMultiWEC},
		{"multi only, one qualified WEC", false, true, 1, modeSingleton},
		{"multi only, two qualified WECs", false, true, 2, modeMultiWEC},
		{"multi only, no qualified WEC", false, true, 0, modeMultiWEC},
		{"neither", false, false, 2, modeNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			w := wants{Singleton: tc.single, MultiWEC: tc.multi, Qualified: make([]string, tc.n)}
			g.Expect(dispatch(w)).To(Equal(tc.want))
		})
	}
}

func TestDecide(t *testing.T) {
	single := wants{Singleton: true, Qualified: []string{"wec1"}}
	singleOnTwo := wants{Singleton: true, Qualified: []string{"wec1", "wec2"}}
	multi := wants{MultiWEC: true, Qualified: []string{"wec1", "wec2"}}
	ourLabels := map[string]string{LabelExecutingCount: "1", LabelSingletonStatus: "true"}
	ownAll := owned{Labels: map[string]bool{LabelExecutingCount: true, LabelSingletonStatus: true},
		Annotations: map[string]bool{AnnotationWECStatus: true, AnnotationReportingWECs: true}, Status: map[string]bool{"readyReplicas": true}}
	type obj = map[string]any
	for _, tc := range []struct {
		name        string
		facts       facts
		wantMode    string
		status      map[string]any
		labels      map[string]string
		annots      map[string]string
		statusPatch map[string]any
		mainPatch   map[string]any
	}{{
		name:     "R1: one qualified WEC reports: its status, copied, and the count",
		facts:    facts{Wants: single, Reports: []summary.Report{report("wec1", 2)}, Object: object(nil, nil), StatusSubresource: true},
		wantMode: modeSingleton, status: obj{"readyReplicas": int64(2)},
		labels:      ourLabels,
		annots:      map[string]string{AnnotationWECStatus: "wec1=InProgress", AnnotationReportingWECs: "1"},
		statusPatch: obj{"status": obj{"readyReplicas": int64(2)}},
		mainPatch: obj{"metadata": obj{
			"labels":      obj{LabelExecutingCount: "1", LabelSingletonStatus: "true"},
			"annotations": obj{AnnotationWECStatus: "wec1=InProgress", AnnotationReportingWECs: "1"},
		}},
	}, {
		name: "R4: nothing written when the object already shows it",
		facts: facts{
			Wants: single, Reports: []summary.Report{report("wec1", 2)}, StatusSubresource: true, Owned: ownAll,
			Object: withAnnotation(object(ourLabels, obj{"readyReplicas": int64(2)})),
		},
		wantMode: modeSingleton, status: obj{"readyReplicas": int64(2)}, labels: ourLabels,
		annots: map[string]string{AnnotationWECStatus: "wec1=InProgress", AnnotationReportingWECs: "1"},
	}, {
		name: "only what differs is patched; a field the WEC no longer reports is removed",
		facts: facts{
			Wants: single, Reports: []summary.Report{report("wec1", 3)}, StatusSubresource: true, Owned: ownAll,
			Object: withAnnotation(object(ourLabels, obj{"readyReplicas": int64(2), "replicas": int64(2)})),
		},
		wantMode: modeSingleton, status: obj{"readyReplicas": int64(3)}, labels: ourLabels,
		annots:      map[string]string{AnnotationWECStatus: "wec1=InProgress", AnnotationReportingWECs: "1"},
		statusPatch: obj{"status": obj{"readyReplicas": int64(3), "replicas": nil}},
	}, {
		name: "R1: singleton only with two qualified WECs reporting: status cleared, count still labeled",
		facts: facts{
			Wants: singleOnTwo, Reports: []summary.Report{report("wec1", 2), report("wec2", 1)}, StatusSubresource: true,
			Owned:  ownAll,
			Object: withAnnotation(object(ourLabels, obj{"readyReplicas": int64(2), "other": "x"})),
		},
		wantMode: modeSingleton,
		labels:   map[string]string{LabelExecutingCount: "2", LabelSingletonStatus: "true"},
		annots:   map[string]string{AnnotationWECStatus: "wec1=InProgress,wec2=InProgress", AnnotationReportingWECs: "2"},
		// what the operator wrote is removed, what another writer put there stays
		statusPatch: obj{"status": obj{"readyReplicas": nil}},
		mainPatch: obj{"metadata": obj{
			"labels":      obj{LabelExecutingCount: "2"},
			"annotations": obj{AnnotationWECStatus: "wec1=InProgress,wec2=InProgress", AnnotationReportingWECs: "2"},
		}},
	}, {
		name:     "R2: several qualified WECs with multi-WEC: the summary",
		facts:    facts{Wants: multi, Reports: []summary.Report{report("wec1", 2), report("wec2", 1)}, Object: object(nil, nil), StatusSubresource: true},
		wantMode: modeMultiWEC, status: summaryOf(report("wec1", 2), report("wec2", 1)),
		labels:      map[string]string{LabelMultiWECStatus: "true"},
		annots:      map[string]string{AnnotationWECStatus: "wec1=InProgress,wec2=InProgress", AnnotationReportingWECs: "2"},
		statusPatch: obj{"status": summaryOf(report("wec1", 2), report("wec2", 1))},
		mainPatch: obj{"metadata": obj{
			"labels":      obj{LabelMultiWECStatus: "true"},
			"annotations": obj{AnnotationWECStatus: "wec1=InProgress,wec2=InProgress", AnnotationReportingWECs: "2"},
		}},
	}, {
		name:     "R3: no WEC reports yet: count 2 (the qualified WECs), no status, nothing owned so no status write",
		facts:    facts{Wants: wants{Singleton: true, MultiWEC: true, Qualified: multi.Qualified}, Object: object(nil, nil), StatusSubresource: true},
		wantMode: modeMultiWEC,
		labels:   map[string]string{LabelExecutingCount: "2", LabelSingletonStatus: "true", LabelMultiWECStatus: "true"},
		annots:   map[string]string{AnnotationReportingWECs: "0"},
		mainPatch: obj{"metadata": obj{
			"labels":      obj{LabelExecutingCount: "2", LabelSingletonStatus: "true", LabelMultiWECStatus: "true"},
			"annotations": obj{AnnotationReportingWECs: "0"},
		}},
	}, {
		name: "R4: no Binding asks any more: everything owned is removed",
		facts: facts{
			Object: withAnnotation(object(ourLabels, obj{"readyReplicas": int64(2)})),
			Owned:  ownAll, StatusSubresource: true,
		},
		statusPatch: obj{"status": nil}, // all of it was the operator's
		mainPatch: obj{"metadata": obj{
			"labels":      obj{LabelExecutingCount: nil, LabelSingletonStatus: nil},
			"annotations": obj{AnnotationWECStatus: nil, AnnotationReportingWECs: nil},
		}},
	}, {
		name:  "R4: no Binding asks and nothing owned: never touched",
		facts: facts{Object: object(map[string]string{LabelExecutingCount: "3"}, obj{"x": int64(1)}), StatusSubresource: true},
	}, {
		name: "R4: a kind without status subresource: one write of the object, status included",
		facts: facts{
			Wants: single, Reports: []summary.Report{report("wec1", 2)},
			Object: object(ourLabels, nil), Owned: owned{Labels: ownAll.Labels},
		},
		wantMode: modeSingleton, status: obj{"readyReplicas": int64(2)}, labels: ourLabels,
		annots: map[string]string{AnnotationWECStatus: "wec1=InProgress", AnnotationReportingWECs: "1"},
		mainPatch: obj{
			"metadata": obj{"annotations": obj{AnnotationWECStatus: "wec1=InProgress", AnnotationReportingWECs: "1"}},
			"status":   obj{"readyReplicas": int64(2)},
		},
	}, {
		name: "R4: a kind without status subresource, cleared: the owned status fields go with the object",
		facts: facts{
			Object: object(nil, obj{"phase": "Running", "podIP": "10.0.0.1"}),
			Owned:  owned{MainStatus: map[string]bool{"phase": true}, Status: map[string]bool{"podIP": true}},
		},
		mainPatch: obj{"status": obj{"phase": nil}},
	}, {
		name: "a Deployment gets no health annotation (its generation follows annotations)",
		facts: facts{
			Wants: single, Reports: []summary.Report{report("wec1", 2)}, Object: object(nil, nil),
			StatusSubresource: true, AnnotationsBumpGeneration: true,
		},
		wantMode: modeSingleton, status: obj{"readyReplicas": int64(2)}, labels: ourLabels,
		statusPatch: obj{"status": obj{"readyReplicas": int64(2)}},
		mainPatch:   obj{"metadata": obj{"labels": obj{LabelExecutingCount: "1", LabelSingletonStatus: "true"}}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			p, err := decide(tc.facts)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(p.Mode).To(Equal(tc.wantMode))
			g.Expect(p.Status).To(Equal(tc.status))
			g.Expect(p.Labels).To(Equal(tc.labels))
			g.Expect(p.Annotations).To(Equal(tc.annots))
			g.Expect(p.StatusPatch).To(Equal(tc.statusPatch), "status patch")
			g.Expect(p.MainPatch).To(Equal(tc.mainPatch), "object patch")
		})
	}
}

// TestDecideSummaryError: an object the summary cannot read at all (its metadata.generation is
// not a number) is an error, not a status.
func TestDecideSummaryError(t *testing.T) {
	g := NewWithT(t)
	o := object(nil, nil)
	o.Object["metadata"].(map[string]any)["generation"] = "one"
	_, err := decide(facts{Wants: wants{MultiWEC: true, Qualified: []string{"a", "b"}},
		Reports: []summary.Report{report("a", 1), report("b", 1)}, Object: o})
	g.Expect(err).To(MatchError(ContainSubstring("metadata.generation")))
}

func withAnnotation(u *unstructured.Unstructured) *unstructured.Unstructured {
	u.SetAnnotations(map[string]string{AnnotationWECStatus: "wec1=InProgress", AnnotationReportingWECs: "1"})
	return u
}
