package kubestellar

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/singleton-operator/singleton-operator/internal/summary"
)

// TestDecideQualifiedSet: copy or combine, and the executing count, follow the qualified WEC
// set (KubeStellar's wantSingletonReportedState contract), not the WECs that report.
func TestDecideQualifiedSet(t *testing.T) {
	two := []string{"wec1", "wec2"}
	type obj = map[string]any
	for _, tc := range []struct {
		name          string
		w             wants
		reports       []summary.Report
		mode          string
		status        map[string]any
		labels        map[string]string
		reporting     string
		misconfigured bool
	}{{
		name: "singleton on one qualified WEC that has not reported: nothing yet, count 1",
		w:    wants{Singleton: true, Qualified: []string{"wec1"}},
		mode: modeSingleton, labels: map[string]string{LabelExecutingCount: "1", LabelSingletonStatus: "true"},
		reporting: "0",
	}, {
		name:    "singleton on two qualified WECs, one reports: nothing copied, count 2, misconfigured",
		w:       wants{Singleton: true, Qualified: two},
		reports: []summary.Report{report("wec1", 2)},
		mode:    modeSingleton, labels: map[string]string{LabelExecutingCount: "2", LabelSingletonStatus: "true"},
		reporting: "1", misconfigured: true,
	}, {
		name:    "singleton on two qualified WECs, both report: nothing copied",
		w:       wants{Singleton: true, Qualified: two},
		reports: []summary.Report{report("wec1", 2), report("wec2", 1)},
		mode:    modeSingleton, labels: map[string]string{LabelExecutingCount: "2", LabelSingletonStatus: "true"},
		reporting: "2", misconfigured: true,
	}, {
		name: "singleton on no WEC: misconfigured, count 0",
		w:    wants{Singleton: true},
		mode: modeSingleton, labels: map[string]string{LabelExecutingCount: "0", LabelSingletonStatus: "true"},
		reporting: "0", misconfigured: true,
	}, {
		name:    "multi-WEC on two qualified WECs, one reports: the summary of that one, no count label",
		w:       wants{MultiWEC: true, Qualified: two},
		reports: []summary.Report{report("wec1", 2)},
		mode:    modeMultiWEC, status: summaryOf(report("wec1", 2)),
		labels: map[string]string{LabelMultiWECStatus: "true"}, reporting: "1",
	}, {
		name:    "multi-WEC on one qualified WEC: its status copied, no count label",
		w:       wants{MultiWEC: true, Qualified: []string{"wec1"}},
		reports: []summary.Report{report("wec1", 2)},
		mode:    modeSingleton, status: obj{"readyReplicas": int64(2)},
		labels: map[string]string{LabelMultiWECStatus: "true"}, reporting: "1",
	}, {
		name:    "both on two qualified WECs, one reports: the summary, count 2",
		w:       wants{Singleton: true, MultiWEC: true, Qualified: two},
		reports: []summary.Report{report("wec2", 2)},
		mode:    modeMultiWEC, status: summaryOf(report("wec2", 2)),
		labels:    map[string]string{LabelExecutingCount: "2", LabelSingletonStatus: "true", LabelMultiWECStatus: "true"},
		reporting: "1",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			p, err := decide(facts{Wants: tc.w, Reports: tc.reports, Object: object(nil, nil), StatusSubresource: true})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(p.Mode).To(Equal(tc.mode))
			g.Expect(p.Status).To(Equal(tc.status))
			g.Expect(p.Labels).To(Equal(tc.labels))
			g.Expect(p.Annotations).To(HaveKeyWithValue(AnnotationReportingWECs, tc.reporting))
			if tc.misconfigured {
				g.Expect(p.Misconfigured).NotTo(BeEmpty())
			} else {
				g.Expect(p.Misconfigured).To(BeEmpty())
			}
		})
	}
}

// TestDecideSingletonTwoWECsKeepsNothing: a singleton placement on two WECs does not show the
// first WEC's status until the second reports: it shows none, and clears what it had shown.
func TestDecideSingletonTwoWECsKeepsNothing(t *testing.T) {
	g := NewWithT(t)
	w := wants{Singleton: true, Qualified: []string{"wec1", "wec2"}}
	o := object(map[string]string{LabelExecutingCount: "1", LabelSingletonStatus: "true"}, map[string]any{"readyReplicas": int64(2)})
	p, err := decide(facts{Wants: w, Reports: []summary.Report{report("wec1", 2)}, Object: o,
		StatusSubresource: true, Owned: owned{Status: map[string]bool{"readyReplicas": true},
			Labels: map[string]bool{LabelExecutingCount: true, LabelSingletonStatus: true}}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Status).To(BeNil())
	g.Expect(p.StatusPatch).To(Equal(map[string]any{"status": nil}))
	g.Expect(p.MainPatch).To(HaveKeyWithValue("metadata", HaveKeyWithValue("labels",
		map[string]any{LabelExecutingCount: "2"})))
}

// TestDecideDeploymentNoNewAnnotation: a Deployment's generation follows its annotations, so
// it gets neither the health nor the reporting-WECs annotation.
func TestDecideDeploymentNoNewAnnotation(t *testing.T) {
	g := NewWithT(t)
	p, err := decide(facts{Wants: wants{Singleton: true, Qualified: []string{"wec1"}},
		Reports: []summary.Report{report("wec1", 1)}, Object: object(nil, nil), StatusSubresource: true,
		AnnotationsBumpGeneration: true})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Annotations).To(BeEmpty())
}

// TestDecideExceptions: KubeStellar never returns status into Namespaces or CRDs: nothing is
// written; only what the operator owns is removed.
func TestDecideExceptions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		o     *unstructured.Unstructured
		own   owned
		patch map[string]any
	}{{
		name: "nothing owned: untouched",
		o:    object(nil, map[string]any{"phase": "Active"}),
	}, {
		name:  "labels owned from before: removed, the status left",
		o:     object(map[string]string{LabelExecutingCount: "1"}, map[string]any{"phase": "Active"}),
		own:   owned{Labels: map[string]bool{LabelExecutingCount: true}},
		patch: map[string]any{"metadata": map[string]any{"labels": map[string]any{LabelExecutingCount: nil}}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			p, err := decide(facts{Wants: wants{Singleton: true, Qualified: []string{"wec1"}},
				Reports: []summary.Report{report("wec1", 1)}, Object: tc.o, StatusSubresource: true,
				Excepted: true, Owned: tc.own})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(p.Mode).To(Equal(modeNone))
			g.Expect(p.Status).To(BeNil())
			g.Expect(p.StatusPatch).To(BeNil())
			g.Expect(p.MainPatch).To(Equal(tc.patch))
		})
	}
}

func TestExceptedKinds(t *testing.T) {
	g := NewWithT(t)
	g.Expect(exceptedKind("", "namespaces")).To(BeTrue())
	g.Expect(exceptedKind("apiextensions.k8s.io", "customresourcedefinitions")).To(BeTrue())
	g.Expect(exceptedKind("apps", "deployments")).To(BeFalse())
	g.Expect(exceptedKind("", "pods")).To(BeFalse())
}

// TestDecideMalformedWEC: a Deployment status whose condition status is a boolean and whose
// counts are strings is left out of the summary, named in the health (Unknown) and in
// Malformed; the other WEC's status is shown, and the labels are still written.
func TestDecideMalformedWEC(t *testing.T) {
	g := NewWithT(t)
	o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"namespace": "ns", "name": "d", "generation": int64(1)},
		"spec":     map[string]any{"replicas": int64(1)}}}
	good := summary.Report{WEC: "good", Status: map[string]any{"observedGeneration": int64(1), "replicas": int64(1),
		"updatedReplicas": int64(1), "readyReplicas": int64(1), "availableReplicas": int64(1),
		"conditions": []any{map[string]any{"type": "Available", "status": "True"}}}}
	bad := summary.Report{WEC: "odd", Status: map[string]any{"observedGeneration": int64(1), "replicas": "1",
		"conditions": []any{map[string]any{"type": "Available", "status": true}}}}
	p, err := decide(facts{Wants: wants{MultiWEC: true, Singleton: true, Qualified: []string{"good", "odd"}},
		Reports: []summary.Report{good, bad}, Object: o, StatusSubresource: true, AnnotationsBumpGeneration: true})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Status).To(HaveKeyWithValue("readyReplicas", int64(1)))
	g.Expect(p.Malformed).To(ConsistOf(HaveField("WEC", "odd")))
	g.Expect(p.Health).To(ConsistOf(HaveField("WEC", "good"), And(HaveField("WEC", "odd"), HaveField("Status", "Unknown"))))
	g.Expect(p.Labels).To(HaveKeyWithValue(LabelExecutingCount, "2"))
	g.Expect(p.StatusPatch).NotTo(BeNil())
	g.Expect(p.MainPatch).NotTo(BeNil())
}
