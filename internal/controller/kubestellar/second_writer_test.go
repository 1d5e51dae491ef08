package kubestellar

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
	"github.com/singleton-operator/singleton-operator/internal/summary"
)

// What KubeStellar's status controller wrote is adopted: cleared as the operator's own once no
// Binding asks for the object (a take-over leaves nothing stale).
func TestTakeOverAdoptsKubeStellarsWrites(t *testing.T) {
	g := NewWithT(t)
	t0 := metav1.NewTime(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	entries := []metav1.ManagedFieldsEntry{
		{Manager: KubeStellarStatusManager, Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status", Time: &t0,
			FieldsV1: metav1.NewFieldsV1(`{"f:status":{"f:readyReplicas":{},"f:replicas":{}}}`)},
		{Manager: KubeStellarStatusManager, Operation: metav1.ManagedFieldsOperationUpdate, Time: &t0,
			FieldsV1: metav1.NewFieldsV1(`{"f:metadata":{"f:labels":{"f:managed-by.kubestellar.io/singletonstatus":{},"f:app":{}}}}`)},
		{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status", Time: &t0,
			FieldsV1: metav1.NewFieldsV1(`{"f:status":{"f:observedGeneration":{}}}`)},
	}
	adopted := ownedOrAdopted(entriesOf(t, entries))
	g.Expect(adopted).To(Equal(owned{
		Status: map[string]bool{"readyReplicas": true, "replicas": true},
		Labels: map[string]bool{LabelSingletonStatus: true},
	}), "KubeStellar's reported state, not the controller-manager's fields nor a label that is not its own")

	obj := object(map[string]string{LabelSingletonStatus: "true", "app": "web"},
		map[string]any{"readyReplicas": int64(2), "replicas": int64(2), "observedGeneration": int64(4)})
	p, err := decide(facts{Object: obj, StatusSubresource: true, Owned: adopted})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.StatusPatch).To(Equal(map[string]any{"status": map[string]any{"readyReplicas": nil, "replicas": nil}}))
	g.Expect(p.MainPatch).To(Equal(map[string]any{"metadata": map[string]any{
		"labels": map[string]any{LabelSingletonStatus: nil}}}))
	g.Expect(p.SecondWriter).To(BeFalse(), "no Binding asks: nobody is writing it")
}

func TestWrittenAfterOperator(t *testing.T) {
	at := func(sec int) *metav1.Time {
		tm := metav1.NewTime(time.Date(2026, 12, 1, 10, 0, sec, 0, time.UTC))
		return &tm
	}
	entry := func(manager string, t *metav1.Time) metav1.ManagedFieldsEntry {
		return metav1.ManagedFieldsEntry{Manager: manager, Time: t, Subresource: "status",
			FieldsV1: metav1.NewFieldsV1(`{"f:status":{"f:replicas":{}}}`)}
	}
	for _, tc := range []struct {
		name    string
		entries []metav1.ManagedFieldsEntry
		want    bool
	}{
		{"KubeStellar wrote before the take-over", []metav1.ManagedFieldsEntry{
			entry(KubeStellarStatusManager, at(1)), entry(FieldManager, at(5))}, false},
		{"KubeStellar wrote after the operator: it still runs", []metav1.ManagedFieldsEntry{
			entry(FieldManager, at(5)), entry(KubeStellarStatusManager, at(9))}, true},
		{"in the same second nothing is told", []metav1.ManagedFieldsEntry{
			entry(FieldManager, at(5)), entry(KubeStellarStatusManager, at(5))}, false},
		{"the operator never wrote: nothing to fight over yet", []metav1.ManagedFieldsEntry{
			entry(KubeStellarStatusManager, at(9))}, false},
		{"another manager is not KubeStellar", []metav1.ManagedFieldsEntry{
			entry(FieldManager, at(5)), entry("kube-controller-manager", at(9))}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(writtenAfterOperator(entriesOf(t, tc.entries))).To(Equal(tc.want))
			g.Expect(writtenAfterOperator(writeTimes(tc.entries))).To(Equal(tc.want), "from typed entries")
		})
	}
}

// A second writer is told on the plan only for an object some Binding asks for, and the
// ReportedState's SoleWriter condition names a few of them.
func TestSecondWriterTold(t *testing.T) {
	g := NewWithT(t)
	single := wants{Singleton: true, Qualified: []string{"wec1"}}
	p, err := decide(facts{Wants: single, Reports: []summary.Report{report("wec1", 2)}, Object: object(nil, nil),
		StatusSubresource: true, SecondWriter: true})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.SecondWriter).To(BeTrue())

	rs := &ksv1alpha1.ReportedState{}
	c := meta.FindStatusCondition(computeStatus(rs, connectionState{}, nil).Conditions, ksv1alpha1.ConditionSoleWriter)
	g.Expect(c.Status).To(Equal(metav1.ConditionTrue))
	c = meta.FindStatusCondition(computeStatus(rs, connectionState{SecondWriters: []string{"ns/a", "ns/b", "ns/c", "ns/zz"}}, nil).Conditions,
		ksv1alpha1.ConditionSoleWriter)
	g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(c.Reason).To(Equal(ksv1alpha1.ReasonKubeStellarStatusControllerActive))
	g.Expect(c.Message).To(And(ContainSubstring("4 objects"), ContainSubstring("ns/a, ns/b, ns/c"), Not(ContainSubstring("ns/zz")),
		ContainSubstring("--controllers=binding")))
}

// A second writer stays told between its writes (the operator's own write hides it until the
// next one), and ends once it was not seen for secondWriterQuiet.
func TestSawSecondWriter(t *testing.T) {
	g := NewWithT(t)
	b := newObjectBook()
	ref := objectRef{Group: "apps", Resource: "deployments", Namespace: "ns", Name: "d"}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	g.Expect(b.sawSecondWriter(ref, false, t0, time.Minute)).To(BeFalse(), "never seen")
	g.Expect(b.sawSecondWriter(ref, true, t0, time.Minute)).To(BeTrue())
	g.Expect(b.sawSecondWriter(ref, false, t0.Add(30*time.Second), time.Minute)).To(BeTrue(), "between its writes")
	g.Expect(b.sawSecondWriter(ref, false, t0.Add(time.Minute), time.Minute)).To(BeFalse(), "quiet for a minute")
	g.Expect(b.sawSecondWriter(ref, false, t0.Add(time.Minute+time.Second), time.Minute)).To(BeFalse())
	g.Expect(b.sawSecondWriter(ref, true, t0.Add(2*time.Minute), time.Minute)).To(BeTrue())
	b.forget(ref)
	g.Expect(b.sawSecondWriter(ref, false, t0.Add(2*time.Minute), time.Minute)).To(BeFalse(), "a forgotten object")
}
