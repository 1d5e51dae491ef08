package kubestellar

import (
	"testing"
	"time"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A CombinedStatus that KubeStellar's status controller wrote after this operator is told at
// once, stays told while the two take turns, and is let go once it stayed quiet long enough or
// is gone; one that only KubeStellar wrote (before the operator took over) is not a fight.
func TestCombinedWriters(t *testing.T) {
	g := NewWithT(t)
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	cs := func(name string, ours, theirs int) *controlv1alpha1.CombinedStatus {
		var entries []metav1.ManagedFieldsEntry
		for _, e := range []struct {
			manager string
			sec     int
		}{{FieldManager, ours}, {KubeStellarStatusManager, theirs}} {
			if e.sec >= 0 {
				tm := metav1.NewTime(t0.Add(time.Duration(e.sec) * time.Second))
				entries = append(entries, metav1.ManagedFieldsEntry{Manager: e.manager, Time: &tm,
					Operation: metav1.ManagedFieldsOperationUpdate})
			}
		}
		return &controlv1alpha1.CombinedStatus{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, ManagedFields: entries}}
	}
	ref := objectRef{Group: "apps", Resource: "deployments", Namespace: "ns", Name: "web"}
	csRef := func(name string) objectRef {
		return objectRef{Group: "control.kubestellar.io", Resource: "combinedstatuses", Namespace: "ns", Name: name}
	}
	w := newCombinedWriters()
	quiet := time.Minute

	told, news, changed := w.observe(ref, []*controlv1alpha1.CombinedStatus{cs("a", -1, 0), cs("b", 0, -1)}, t0, quiet)
	g.Expect(told).To(BeEmpty(), "only KubeStellar wrote a (before the take-over), only the operator b")
	g.Expect(news).To(BeEmpty())
	g.Expect(changed).To(BeFalse())

	told, news, changed = w.observe(ref, []*controlv1alpha1.CombinedStatus{cs("a", 0, 5), cs("b", 5, 1)}, t0.Add(5*time.Second), quiet)
	g.Expect(told).To(Equal([]objectRef{csRef("a")}))
	g.Expect(news).To(Equal([]objectRef{csRef("a")}))
	g.Expect(changed).To(BeTrue())
	g.Expect(w.names()).To(Equal([]string{"control.kubestellar.io/combinedstatuses/ns/a"}))

	told, news, changed = w.observe(ref, []*controlv1alpha1.CombinedStatus{cs("a", 10, 5), cs("b", 5, 1)}, t0.Add(10*time.Second), quiet)
	g.Expect(told).To(Equal([]objectRef{csRef("a")}), "the operator's own rewrite hides the other's, which is remembered")
	g.Expect(news).To(BeEmpty(), "told once")
	g.Expect(changed).To(BeFalse())

	told, _, changed = w.observe(ref, []*controlv1alpha1.CombinedStatus{cs("a", 10, 5)}, t0.Add(5*time.Second+quiet), quiet)
	g.Expect(told).To(BeEmpty(), "quiet long enough")
	g.Expect(changed).To(BeTrue())
	g.Expect(w.names()).To(BeEmpty())

	w.observe(ref, []*controlv1alpha1.CombinedStatus{cs("a", 0, 5)}, t0.Add(5*time.Second), quiet)
	told, _, changed = w.observe(ref, nil, t0.Add(6*time.Second), quiet)
	g.Expect(told).To(BeEmpty(), "gone")
	g.Expect(changed).To(BeTrue())
}
