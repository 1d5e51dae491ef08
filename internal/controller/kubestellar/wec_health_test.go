package kubestellar

import (
	"testing"

	. "github.com/onsi/gomega"

	"github.com/singleton-operator/singleton-operator/internal/summary"
)

func TestWECHealth(t *testing.T) {
	g := NewWithT(t)
	a := objectRef{Group: "apps", Resource: "deployments", Namespace: "ns", Name: "a"}
	b := objectRef{Group: "apps", Resource: "deployments", Namespace: "ns", Name: "b"}
	hs := func(pairs ...string) []summary.Health {
		var out []summary.Health
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, summary.Health{WEC: pairs[i], Status: pairs[i+1]})
		}
		return out
	}
	h := newWECHealth()
	h.set(a, hs("wec1", "Current", "wec2", "InProgress"))
	h.set(b, hs("wec1", "Current"))
	g.Expect(h.snapshot()).To(Equal(map[wecStatus]int{
		{"wec1", "Current"}: 2, {"wec2", "InProgress"}: 1,
	}))

	// A WEC catching up moves the object between statuses.
	h.set(a, hs("wec1", "Current", "wec2", "Current"))
	g.Expect(h.snapshot()).To(Equal(map[wecStatus]int{{"wec1", "Current"}: 2, {"wec2", "Current"}: 1}))

	// An object that leaves is no longer counted; counts that reach 0 go.
	h.set(a, nil)
	g.Expect(h.snapshot()).To(Equal(map[wecStatus]int{{"wec1", "Current"}: 1}))
	h.set(b, nil)
	g.Expect(h.snapshot()).To(BeEmpty())
	g.Expect(h.objects).To(BeEmpty())
}
