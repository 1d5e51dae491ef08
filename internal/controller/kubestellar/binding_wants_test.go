package kubestellar

import (
	"testing"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/singleton-operator/singleton-operator/test/framework"
)

var webRef = objectRef{Group: "apps", Resource: "deployments", Namespace: "ns", Name: "web"}

func binding(dests []string, single, multi bool, refs ...objectRef) *controlv1alpha1.Binding {
	b := &controlv1alpha1.Binding{}
	framework.SetBinding(b, dests)
	for _, r := range refs {
		framework.AddClause(b, framework.Clause{
			GVR:       schema.GroupVersionResource{Group: r.Group, Version: "v1", Resource: r.Resource},
			Namespace: r.Namespace, Name: r.Name, Single: single, Multi: multi,
		})
	}
	return b
}

func TestWantsOf(t *testing.T) {
	other := objectRef{Group: "apps", Resource: "deployments", Namespace: "ns", Name: "other"}
	ns := objectRef{Resource: "namespaces", Name: "ns"}
	for _, tc := range []struct {
		name     string
		bindings []*controlv1alpha1.Binding
		ref      objectRef
		want     wants
	}{
		{"no binding", nil, webRef, wants{}},
		{"one singleton binding", []*controlv1alpha1.Binding{binding([]string{"b", "a"}, true, false, webRef)}, webRef,
			wants{Singleton: true, Version: "v1", Qualified: []string{"a", "b"}}},
		{"flags ORed, only the destinations of bindings that set a flag qualify", []*controlv1alpha1.Binding{
			binding([]string{"a"}, true, false, webRef),
			binding([]string{"b"}, false, true, webRef),
			binding([]string{"c"}, false, false, webRef),
		}, webRef, wants{Singleton: true, MultiWEC: true, Version: "v1", Qualified: []string{"a", "b"}}},
		{"a binding of other objects is no binding of this one", []*controlv1alpha1.Binding{
			binding([]string{"a"}, true, true, other),
		}, webRef, wants{}},
		{"duplicate destinations count once", []*controlv1alpha1.Binding{
			binding([]string{"a", "b"}, false, true, webRef), binding([]string{"b"}, true, false, webRef),
		}, webRef, wants{Singleton: true, MultiWEC: true, Version: "v1", Qualified: []string{"a", "b"}}},
		{"cluster-scoped objects", []*controlv1alpha1.Binding{binding([]string{"a"}, true, false, ns)}, ns,
			wants{Singleton: true, Version: "v1", Qualified: []string{"a"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(wantsOf(tc.bindings, tc.ref)).To(Equal(tc.want))
		})
	}
}

func TestChangedEntries(t *testing.T) {
	other := objectRef{Group: "apps", Resource: "deployments", Namespace: "ns", Name: "other"}
	for _, tc := range []struct {
		name     string
		old, new *controlv1alpha1.Binding
		want     []objectRef
	}{
		{"created", nil, binding([]string{"a"}, true, false, webRef), []objectRef{webRef}},
		{"deleted", binding([]string{"a"}, true, false, webRef), nil, []objectRef{webRef}},
		{"unchanged", binding([]string{"a"}, true, false, webRef, other), binding([]string{"a"}, true, false, webRef, other), nil},
		{"an object leaves", binding([]string{"a"}, true, false, webRef, other), binding([]string{"a"}, true, false, other), []objectRef{webRef}},
		{"flag toggled off", binding([]string{"a"}, true, false, webRef), binding([]string{"a"}, false, false, webRef), []objectRef{webRef}},
		{"destinations changed: every object", binding([]string{"a"}, true, false, webRef, other),
			binding([]string{"a", "b"}, true, false, webRef, other), []objectRef{webRef, other}},
		{"entries without flags are not watched", binding([]string{"a"}, false, false, webRef),
			binding([]string{"a", "b"}, false, false, webRef), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(changedEntries(tc.old, tc.new)).To(ConsistOf(tc.want))
		})
	}
}
