package kubestellar

import (
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

func TestLinkHealthDiffers(t *testing.T) {
	up := linkHealth{WDSUp: true, ITSUp: true, Probed: true, Synced: true}
	for _, tc := range []struct {
		name   string
		change func(*linkHealth)
		want   bool
	}{
		{"nothing", func(*linkHealth) {}, false},
		{"the WDS", func(h *linkHealth) { h.WDSUp = false }, true},
		{"the ITS", func(h *linkHealth) { h.ITSUp = false }, true},
		{"probed", func(h *linkHealth) { h.Probed = false }, true},
		{"synced", func(h *linkHealth) { h.Synced = false }, true},
		{"a failure", func(h *linkHealth) { h.Err = errors.New("stopped") }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := up
			tc.change(&h)
			NewWithT(t).Expect(up.differs(h)).To(Equal(tc.want))
		})
	}
	// Only whether there is a failure shows, not which.
	a, b := linkHealth{Err: errors.New("a")}, linkHealth{Err: errors.New("b")}
	NewWithT(t).Expect(a.differs(b)).To(BeFalse())
}

func TestWorkStatusTally(t *testing.T) {
	g := NewWithT(t)
	tally := newWorkStatusTally()
	tally.count("wec1", 1)
	tally.count("wec1", 1)
	tally.count("wec2", 1)
	g.Expect(tally.reporting()).To(Equal(2))
	tally.count("wec2", -1)
	g.Expect(tally.reporting()).To(Equal(1))
	g.Expect(tally.perWEC).To(Equal(map[string]int{"wec1": 2}), "a WEC whose count reaches 0 goes")

	ws := types.NamespacedName{Namespace: "wec1", Name: "ws"}
	for i, tc := range []struct {
		reason string
		news   bool
	}{
		{"no sourceRef", true}, {"no sourceRef", false}, {"too large", true}, {"", false}, {"too large", true},
	} {
		g.Expect(tally.setInvalid(ws, tc.reason)).To(Equal(tc.news), "step %d: %q", i, tc.reason)
	}
	g.Expect(tally.invalidNames()).To(Equal([]string{"wec1/ws"}))
	tally.setInvalid(ws, "")
	g.Expect(tally.invalidNames()).To(BeEmpty())
}

func TestDiscoveryMemo(t *testing.T) {
	g := NewWithT(t)
	apps := schema.GroupVersion{Group: "apps", Version: "v1"}
	known := statusSubresources(&metav1.APIResourceList{APIResources: []metav1.APIResource{
		{Name: "deployments"}, {Name: "deployments/status"}, {Name: "deployments/scale"},
		{Name: "replicasets/status"}, {Name: "replicasets"}, {Name: "controllerrevisions"},
	}})
	g.Expect(known).To(Equal(map[string]bool{"deployments": true, "replicasets": true, "controllerrevisions": false}))

	m := discoveryMemo{}
	_, seen := m.lookup(apps.WithResource("deployments"))
	g.Expect(seen).To(BeFalse())
	m.remember(apps, known)
	for resource, want := range map[string]bool{"deployments": true, "controllerrevisions": false} {
		has, known := m.lookup(apps.WithResource(resource))
		g.Expect(known).To(BeTrue(), resource)
		g.Expect(has).To(Equal(want), resource)
	}
	_, seen = m.lookup(apps.WithResource("statefulsets"))
	g.Expect(seen).To(BeFalse(), "a resource discovery did not list is asked again")
}

// The probe loop publishes a state (the gauges, and a reconcile of the ReportedState whose
// conditions name the objects) when anything it shows changed: a name too, not only a count.
func TestConnectionStateDiffersFrom(t *testing.T) {
	published := connectionState{
		Singleton: 2, MultiWEC: 1, WECs: 3,
		Invalid:       []string{"wec1/no-name"},
		SecondWriters: []string{"apps/v1/deployments/ns/a"},
		Misconfigured: []string{"apps/v1/deployments/ns/b"},
		Unwatchable:   []string{"secrets"}, Why: "forbidden",
		Health: map[wecStatus]int{{WEC: "wec1", Status: "Current"}: 2},
	}
	for _, tc := range []struct {
		name   string
		change func(*connectionState)
		want   bool
	}{
		{"nothing", func(*connectionState) {}, false},
		{"a count", func(s *connectionState) { s.Singleton++ }, true},
		{"an invalid WorkStatus replaced by another", func(s *connectionState) { s.Invalid = []string{"wec1/too-large"} }, true},
		{"another second writer", func(s *connectionState) { s.SecondWriters = []string{"apps/v1/deployments/ns/c"} }, true},
		{"another misconfigured object", func(s *connectionState) { s.Misconfigured = []string{"apps/v1/deployments/ns/c"} }, true},
		{"another resource that cannot be watched", func(s *connectionState) { s.Unwatchable = []string{"configmaps"} }, true},
		{"why", func(s *connectionState) { s.Why = "no such resource" }, true},
		{"a WEC's health", func(s *connectionState) { s.Health = map[wecStatus]int{{WEC: "wec1", Status: "Current"}: 1} }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := published
			tc.change(&s)
			NewWithT(t).Expect(s.differsFrom(published)).To(Equal(tc.want))
		})
	}
}
