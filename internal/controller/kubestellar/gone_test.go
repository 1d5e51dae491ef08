package kubestellar

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// TestApplyNotFound: a 404 from a status write is not a conflict: the object, or its kind's
// status subresource, is gone.
func TestApplyNotFound(t *testing.T) {
	g := NewWithT(t)
	gr := schema.GroupResource{Group: "example.com", Resource: "gizmos"}
	c := fake.NewClientBuilder().WithInterceptorFuncs(interceptor.Funcs{
		SubResourcePatch: func(context.Context, client.Client, string, client.Object, client.Patch,
			...client.SubResourcePatchOption,
		) error {
			return apierrors.NewNotFound(gr, "g")
		},
	}).Build()
	obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "example.com/v1", "kind": "Gizmo"}}
	obj.SetNamespace("ns")
	obj.SetName("g")
	obj.SetResourceVersion("7")
	w, err := applier{client: c}.apply(t.Context(), obj, plan{StatusPatch: map[string]any{"status": map[string]any{"a": "b"}}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(w.results).To(Equal([]string{writeNotFound}))
	g.Expect(w.gone()).To(BeTrue())
	g.Expect(w.conflict()).To(BeFalse())
}

// TestGoneRetryBounded: the retries after a 404 back off, and no further than goneRetryMax.
func TestGoneRetryBounded(t *testing.T) {
	g := NewWithT(t)
	g.Expect(goneRetry(1)).To(Equal(conflictRetry))
	g.Expect(goneRetry(2)).To(Equal(2 * conflictRetry))
	g.Expect(goneRetry(3)).To(BeNumerically(">", goneRetry(2)))
	for n := 1; n < 100; n++ {
		g.Expect(goneRetry(n)).To(BeNumerically("<=", goneRetryMax))
		g.Expect(goneRetry(n)).To(BeNumerically(">", time.Duration(0)))
	}
	g.Expect(goneRetry(100)).To(Equal(goneRetryMax))
}

// TestBookGone: the book counts an object's 404s until a write lands or it is forgotten.
func TestBookGone(t *testing.T) {
	g := NewWithT(t)
	b := newObjectBook()
	g.Expect(b.gone(bookA)).To(Equal(1))
	g.Expect(b.gone(bookA)).To(Equal(2))
	g.Expect(b.gone(bookB)).To(Equal(1))
	b.accept(bookA)
	g.Expect(b.gone(bookA)).To(Equal(1))
	b.forget(bookB)
	g.Expect(b.gone(bookB)).To(Equal(1))
}

// TestDiscoveryMemoForgetGroup: after a 404 the memo forgets every version of the group, so the
// next decision asks discovery again (a CRD that lost or gained its status subresource).
func TestDiscoveryMemoForgetGroup(t *testing.T) {
	g := NewWithT(t)
	m := discoveryMemo{}
	v1 := schema.GroupVersion{Group: "example.com", Version: "v1"}
	v2 := schema.GroupVersion{Group: "example.com", Version: "v2"}
	apps := schema.GroupVersion{Group: "apps", Version: "v1"}
	m.remember(v1, map[string]bool{"gizmos": true})
	m.remember(v2, map[string]bool{"gizmos": true})
	m.remember(apps, map[string]bool{"deployments": true})
	m.forgetGroup("example.com")
	_, seen := m.lookup(v1.WithResource("gizmos"))
	g.Expect(seen).To(BeFalse())
	_, seen = m.lookup(v2.WithResource("gizmos"))
	g.Expect(seen).To(BeFalse())
	has, seen := m.lookup(apps.WithResource("deployments"))
	g.Expect(has && seen).To(BeTrue())
}
