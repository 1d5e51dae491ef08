package kubestellar

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	restfake "k8s.io/client-go/rest/fake"
)

// TestApplySend: each write is a merge patch at the object's path (its status subresource
// first) that carries the resourceVersion read as its precondition, under the operator's field
// manager, and asks for metadata only; its answer is read as applied (with the version it made),
// a conflict, or a 404 (the object, or its kind's status subresource, is gone), not an error.
func TestApplySend(t *testing.T) {
	for _, tc := range []struct {
		name        string
		code        int
		answer      string
		wantResults []string
		wantVersion []string
		wantErr     bool
	}{
		{name: "applied", code: http.StatusOK, answer: `{"kind":"PartialObjectMetadata","metadata":{"name":"g","resourceVersion":"8"}}`,
			wantResults: []string{writeApplied, writeApplied}, wantVersion: []string{"8", "8"}},
		{name: "conflict", code: http.StatusConflict, answer: statusJSON(http.StatusConflict, metav1.StatusReasonConflict),
			wantResults: []string{writeConflict}},
		{name: "not found", code: http.StatusNotFound, answer: statusJSON(http.StatusNotFound, metav1.StatusReasonNotFound),
			wantResults: []string{writeNotFound}},
		{name: "refused", code: http.StatusUnprocessableEntity, answer: statusJSON(http.StatusUnprocessableEntity, metav1.StatusReasonInvalid),
			wantResults: []string{writeError}, wantErr: true},
		{name: "no version in the answer", code: http.StatusOK, answer: `{"metadata":{}}`,
			wantResults: []string{writeError}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			var paths, bodies []string
			rc := &restfake.RESTClient{
				NegotiatedSerializer: clientgoscheme.Codecs.WithoutConversion(),
				Client: restfake.CreateHTTPClient(func(req *http.Request) (*http.Response, error) {
					g.Expect(req.Method).To(Equal(http.MethodPatch))
					g.Expect(req.Header.Get("Content-Type")).To(Equal(string(types.MergePatchType)))
					g.Expect(req.Header.Get("Accept")).To(HavePrefix("application/json;as=PartialObjectMetadata"))
					g.Expect(req.URL.Query().Get("fieldManager")).To(Equal(FieldManager))
					body, err := io.ReadAll(req.Body)
					g.Expect(err).NotTo(HaveOccurred())
					paths, bodies = append(paths, req.URL.Path), append(bodies, string(body))
					return &http.Response{StatusCode: tc.code, Header: http.Header{"Content-Type": {"application/json"}},
						Body: io.NopCloser(strings.NewReader(tc.answer))}, nil
				}),
			}
			obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "example.com/v1", "kind": "Gizmo"}}
			obj.SetNamespace("ns")
			obj.SetName("g")
			obj.SetResourceVersion("7")
			gvr := schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "gizmos"}
			w, err := applier{client: rc}.apply(t.Context(), gvr, obj, plan{
				StatusPatch: map[string]any{"status": map[string]any{"a": "b"}},
				MainPatch:   map[string]any{"metadata": map[string]any{"labels": map[string]any{"l": "1"}}},
			})
			g.Expect(err != nil).To(Equal(tc.wantErr), "error: %v", err)
			if tc.code >= 400 {
				g.Expect(err).To(Or(BeNil(), MatchError(ContainSubstring("the API server's own words"))),
					"the Status's message")
			}
			g.Expect(w.results).To(Equal(tc.wantResults))
			g.Expect(w.versions).To(Equal(tc.wantVersion))
			g.Expect(w.gone()).To(Equal(tc.code == http.StatusNotFound))
			g.Expect(w.conflict()).To(Equal(tc.code == http.StatusConflict))
			g.Expect(paths[0]).To(Equal("/apis/example.com/v1/namespaces/ns/gizmos/g/status"))
			g.Expect(bodies[0]).To(MatchJSON(`{"metadata":{"resourceVersion":"7"},"status":{"a":"b"}}`))
			if len(paths) > 1 {
				g.Expect(paths[1]).To(Equal("/apis/example.com/v1/namespaces/ns/gizmos/g"))
				g.Expect(bodies[1]).To(MatchJSON(`{"metadata":{"resourceVersion":"8","labels":{"l":"1"}}}`))
			}
		})
	}
}

// statusJSON is the Status an API server answers a refused request with.
func statusJSON(code int, reason metav1.StatusReason) string {
	return fmt.Sprintf(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":%q,"code":%d,`+
		`"message":"the API server's own words"}`, reason, code)
}

// TestResourcePath: the paths of the core group's and other groups' resources, objects and
// subresources, namespaced or not.
func TestResourcePath(t *testing.T) {
	g := NewWithT(t)
	deploy := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	ns := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	g.Expect(resourcePath(deploy, "", "", "")).To(Equal([]string{"apis", "apps", "v1", "deployments"}))
	g.Expect(resourcePath(deploy, "a", "b", "status")).To(Equal([]string{"apis", "apps", "v1", "namespaces", "a", "deployments", "b", "status"}))
	g.Expect(resourcePath(ns, "", "x", "")).To(Equal([]string{"api", "v1", "namespaces", "x"}))
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

// TestMappingMemo: resolve answers a resource it resolved before from its memo (this connection
// has no cluster whose mapper it could ask), until a write shows that discovery changed for the
// resource's group: forgetDiscovery forgets the group's mappings with what discovery said.
func TestMappingMemo(t *testing.T) {
	g := NewWithT(t)
	c := &connection{lockedState: connectionLockedState{discovery: discoveryMemo{}, mappings: mappingMemo{}}}
	gizmos := schema.GroupResource{Group: "example.com", Resource: "gizmos"}
	deployments := schema.GroupResource{Group: "apps", Resource: "deployments"}
	for _, gr := range []schema.GroupResource{gizmos, deployments} {
		for _, version := range []string{"", "v1"} {
			c.lockedState.mappings[mappingKey{resource: gr, version: version}] = mapping{
				gvr: gr.WithVersion("v1"), gvk: schema.GroupVersionKind{Group: gr.Group, Version: "v1", Kind: "K"},
			}
		}
	}
	gvr, gvk, err := c.resolve(gizmos, "")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(gvr).To(Equal(gizmos.WithVersion("v1")))
	g.Expect(gvk.Kind).To(Equal("K"))

	c.forgetDiscovery("example.com")
	g.Expect(c.lockedState.mappings).To(HaveLen(2))
	g.Expect(c.lockedState.mappings).To(HaveKey(mappingKey{resource: deployments, version: ""}))
	g.Expect(c.lockedState.mappings).To(HaveKey(mappingKey{resource: deployments, version: "v1"}))
}
