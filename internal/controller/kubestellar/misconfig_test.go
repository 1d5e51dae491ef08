package kubestellar

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
)

// TestBookNotes: a cause is news once per object and message; clearing it is a change, not news;
// forgetting the object drops it; the misconfigured objects are counted with examples.
func TestBookNotes(t *testing.T) {
	g := NewWithT(t)
	b := newObjectBook()
	news, changed := b.note(bookA, causeSingletonWrongWECCount, "2 WECs")
	g.Expect(news).To(BeTrue())
	g.Expect(changed).To(BeTrue())
	news, changed = b.note(bookA, causeSingletonWrongWECCount, "2 WECs")
	g.Expect(news || changed).To(BeFalse(), "the same cause again: no event")
	news, _ = b.note(bookA, causeMalformedReport, "wec x")
	g.Expect(news).To(BeTrue(), "another cause is news")
	news, changed = b.note(bookA, causeSingletonWrongWECCount, "3 WECs")
	g.Expect(news && changed).To(BeTrue())
	b.note(bookB, causeSingletonWrongWECCount, "0 WECs")
	n := b.counts()
	g.Expect(n.Misconfigured).To(Equal([]string{bookA.String(), bookB.String()}))
	news, changed = b.note(bookB, causeSingletonWrongWECCount, "")
	g.Expect(news).To(BeFalse())
	g.Expect(changed).To(BeTrue())
	b.forget(bookA)
	g.Expect(b.counts().Misconfigured).To(BeEmpty())
	news, _ = b.note(bookA, causeSingletonWrongWECCount, "3 WECs")
	g.Expect(news).To(BeTrue(), "forgotten: news again")
}

// TestComputeStatusRequestsValid: the RequestsValid condition says which objects ask singleton
// reported state on other than one qualified WEC, with the generation observed.
func TestComputeStatusRequestsValid(t *testing.T) {
	g := NewWithT(t)
	rs := &ksv1alpha1.ReportedState{ObjectMeta: metav1.ObjectMeta{Generation: 4}}
	c := meta.FindStatusCondition(computeStatus(rs, connectionState{}, nil).Conditions, ksv1alpha1.ConditionRequestsValid)
	g.Expect(c).NotTo(BeNil())
	g.Expect(c.Status).To(Equal(metav1.ConditionTrue))
	g.Expect(c.Reason).To(Equal(ksv1alpha1.ReasonRequestsValid))

	bad := []string{"apps/deployments/ns/a", "apps/deployments/ns/b", "apps/deployments/ns/c", "apps/deployments/ns/d"}
	c = meta.FindStatusCondition(computeStatus(rs, connectionState{Misconfigured: bad}, nil).Conditions,
		ksv1alpha1.ConditionRequestsValid)
	g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(c.Reason).To(Equal(ksv1alpha1.ReasonSingletonWrongWECCount))
	g.Expect(c.ObservedGeneration).To(Equal(int64(4)))
	g.Expect(c.Message).To(ContainSubstring("4 objects"))
	g.Expect(c.Message).To(ContainSubstring("apps/deployments/ns/a"))
	g.Expect(c.Message).NotTo(ContainSubstring("apps/deployments/ns/d"), "a few examples only")
}
