package kubestellar

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/json"

	"github.com/singleton-operator/singleton-operator/internal/combinedstatus"
)

// statusSeeds are statuses as WECs report them, and odd ones.
func statusSeeds() []string {
	return []string{
		`{}`, `null`, ` {"a":1} `, `{"readyReplicas":2}`,
		`{"n":-0,"f":1.5,"e":1e3,"big":9223372036854775807,"bigger":9223372036854775808,"neg":-9223372036854775808,"tiny":1e-400}`,
		`{"s":"caf\u00e9 \ud83d\ude00 \ud800 \"q\" \\ \/","u":"é","bad":"` + "\xff" + `","k\u0065y":1,"` + "\xc3" + `":2}`,
		`{"a":1,"a":2,"b":{"c":[1,{"d":null}],"c":[]},"t":true,"f":false}`,
		`{"loadBalancer":{"ingress":[{"ip":"10.0.0.1"},{"hostname":"lb.example"}]}}`,
		`{"a":1e400}`, `{"a":}`, `{"a":1`, `[1]`, `"x"`, `{"a":1} x`, `{"a":01}`, `{"a":"` + "\x01" + `"}`,
		string(benchWorkStatusJSON("wec01", "d-00001", 3)),
	}
}

// decodeStatusJSON decodes a status as the decoder it replaces did (apimachinery's).
func TestDecodeStatusJSONMatchesStandardDecode(t *testing.T) {
	for _, s := range statusSeeds() {
		assertStatusDecodesAsStandard(t, []byte(s))
	}
}

func FuzzDecodeStatusJSON(f *testing.F) {
	for _, s := range statusSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { assertStatusDecodesAsStandard(t, raw) })
}

func assertStatusDecodesAsStandard(t *testing.T, raw []byte) {
	t.Helper()
	var want map[string]any
	wantErr := json.Unmarshal(raw, &want)
	got, err := decodeStatusJSON(raw)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%q: error %v, the standard decode's %v", raw, err, wantErr)
	}
	if err == nil && !equalJSON(got, want) {
		t.Fatalf("%q: %#v, the standard decode %#v", raw, got, want)
	}
}

// equalJSON compares decoded JSON values, NaN-free, types included (int64 is not float64).
func equalJSON(a, b any) bool { return fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b) }

// The cache's transform holds a valid status for its first reader, who decodes it once; a
// status validateWorkStatus refuses stays, for it to say why; copies share the decode.
func TestHoldStatus(t *testing.T) {
	g := NewWithT(t)
	stamp := stampWorkStatus(time.Now, 64)
	good := SourceRef{Group: "apps", Version: "v1", Resource: "deployments", Namespace: "ns", Name: "web"}
	for _, tc := range []struct {
		name, status string
		held         bool
		want         map[string]any
		ok           bool
	}{
		{"an object", `{"readyReplicas":2}`, true, map[string]any{"readyReplicas": int64(2)}, true},
		{"null", `null`, true, nil, true},
		{"none", ``, false, nil, true},
		{"not an object", `[1]`, false, nil, false},
		{"too large", `{"x":"` + strings.Repeat("x", 64) + `"}`, false, nil, true},
	} {
		w := ws(good, tc.status)
		out, err := stamp(w)
		g.Expect(err).NotTo(HaveOccurred())
		w = out.(*WorkStatus)
		g.Expect(w.reported != nil).To(Equal(tc.held), tc.name)
		g.Expect(w.Status == nil).To(Equal(tc.held || tc.status == ""), tc.name)
		if tc.held {
			g.Expect(validateWorkStatus(w, 64, nil)).To(Succeed(), tc.name)
			copied := *w // as the cache's List copies it
			m, ok := copied.statusMap()
			g.Expect(ok).To(BeTrue(), tc.name)
			g.Expect(m).To(Equal(tc.want), tc.name)
			g.Expect(w.reported.raw).To(BeNil(), tc.name+": the bytes are dropped once decoded")
			deep := w.DeepCopy()
			g.Expect(deep.reported).NotTo(BeIdenticalTo(w.reported), tc.name)
			dm, _ := deep.statusMap()
			g.Expect(dm).To(Equal(m), tc.name)
		} else if tc.status != "" {
			g.Expect(validateWorkStatus(w, 64, nil)).NotTo(Succeed(), tc.name)
		}
	}
}

// Readers that race for the first decode of a status all get the one map.
func TestReportedStatusDecodedOnce(t *testing.T) {
	g := NewWithT(t)
	s := newReportedStatus([]byte(`{"replicas":1}`))
	maps := make([]map[string]any, 8)
	var wg sync.WaitGroup
	for i := range maps {
		wg.Go(func() { maps[i], _ = s.get() })
	}
	wg.Wait()
	for _, m := range maps {
		g.Expect(fmt.Sprintf("%p", m)).To(Equal(fmt.Sprintf("%p", maps[0])))
	}
}

// TestReportedStatusesAreNotModified: the decoded statuses the cache holds are shared by every
// reconcile, so none may modify them. Both reconciles' reads and decisions run twice over the
// same cached WorkStatuses, for kinds whose summaries build on a WEC's status (Deployment with
// conditions and a lower collisionCount than the object's, Service with ingress points, Job,
// StatefulSet): the statuses stay as decoded from their bytes, and the second decision equals
// the first.
func TestReportedStatusesAreNotModified(t *testing.T) {
	c := benchConnection()
	deployment := func(wec string, i int) string { return string(benchWorkStatusJSON(wec, "web", i)) }
	for _, tc := range []struct {
		kind, apiVersion string
		status           func(wec string, i int) string
	}{
		{"Deployment", "apps/v1", func(wec string, i int) string {
			raw := deployment(wec, i)
			return raw[strings.Index(raw, `"status":`)+len(`"status":`) : len(raw)-1]
		}},
		{"Service", "v1", func(_ string, i int) string {
			return fmt.Sprintf(`{"loadBalancer":{"ingress":[{"ip":"10.0.0.%d","ports":[{"port":80,"protocol":"TCP"}]},{"hostname":"lb.example"}]},`+
				`"conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-12-06T11:00:0%dZ","reason":"R","message":"m"}]}`, i, i)
		}},
		{"Job", "batch/v1", func(_ string, i int) string {
			return fmt.Sprintf(`{"active":%d,"succeeded":1,"startTime":"2026-12-06T11:00:0%dZ","completionTime":"2026-12-06T11:01:00Z",`+
				`"conditions":[{"type":"Complete","status":"True","lastTransitionTime":"2026-12-06T11:01:00Z"}]}`, i%2, i)
		}},
		{"StatefulSet", "apps/v1", func(_ string, i int) string {
			return fmt.Sprintf(`{"replicas":1,"readyReplicas":%d,"currentRevision":"web-%d","updateRevision":"web-1","collisionCount":%d,"observedGeneration":1}`, i%2, i, i)
		}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			g := NewWithT(t)
			wecs := []string{"wec1", "wec2", "wec3"}
			items := make([]*WorkStatus, 0, len(wecs))
			raws := map[string]string{}
			for i, wec := range wecs {
				raw := tc.status(wec, i+1)
				w := ws(SourceRef{Version: "v1", Resource: "things", Namespace: "ns", Name: "web"}, raw)
				w.Namespace, w.Name = wec, "ws"
				out, err := stampWorkStatus(time.Now, maxStatusBytes)(w)
				g.Expect(err).NotTo(HaveOccurred())
				items = append(items, out.(*WorkStatus))
				raws[wec] = raw
			}
			obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": tc.apiVersion, "kind": tc.kind,
				"metadata": map[string]any{"namespace": "ns", "name": "web", "generation": int64(1), "uid": "obj-uid"},
				"spec":     map[string]any{"replicas": int64(1)},
				"status":   map[string]any{"collisionCount": int64(99), "readyReplicas": int64(0)}}}
			collector, errs := combinedstatus.Compile("c", &controlv1alpha1.StatusCollectorSpec{
				Select: []controlv1alpha1.NamedExpression{{Name: "status", Def: "returned.status"}},
			})
			g.Expect(errs).To(BeEmpty())
			dests := []controlv1alpha1.Destination{{ClusterId: "wec1"}, {ClusterId: "wec2"}, {ClusterId: "wec3"}}
			decideAll := func() []any {
				var out []any
				for _, w := range []wants{
					{Singleton: true, Qualified: wecs[:1]},
					{MultiWEC: true, Qualified: wecs},
					{Singleton: true, Qualified: wecs},
				} {
					p, err := decide(facts{Wants: w, Reports: c.reportsFrom(slices.Clone(items), w.Qualified),
						Object: obj, StatusSubresource: true})
					g.Expect(err).NotTo(HaveOccurred())
					out = append(out, p)
				}
				reports := c.combinedReports(slices.Clone(items), dests)
				g.Expect(reports).To(HaveLen(3))
				ref := objectRef{Group: "apps", Resource: "things", Namespace: "ns", Name: "web"}
				return append(out, decideCombined(combinedFacts{Ref: ref, Object: obj, Bindings: []combinedBinding{
					{Name: "bp", PolicyUID: "bp-uid", Collectors: []*combinedstatus.Collector{collector}, Reports: reports},
				}}))
			}
			first := decideAll()
			second := decideAll()
			g.Expect(second).To(Equal(first), "the second decision from the same cache")
			for i := range items {
				var want map[string]any
				g.Expect(json.Unmarshal([]byte(raws[items[i].Namespace]), &want)).To(Succeed())
				got, ok := items[i].statusMap()
				g.Expect(ok).To(BeTrue())
				g.Expect(got).To(Equal(want), "the cached status of %s", items[i].Namespace)
			}
			g.Expect(runtime.DeepCopyJSON(obj.Object)["status"]).To(Equal(map[string]any{
				"collisionCount": int64(99), "readyReplicas": int64(0)}), "the cached object")
		})
	}
}

// Equal keys and short values of decoded statuses are one string; a full table starts again.
func TestStringInterner(t *testing.T) {
	g := NewWithT(t)
	in := stringInterner{keys: map[string]string{}, values: map[string]any{}}
	a, b := in.value([]byte("True")), in.value([]byte("True"))
	g.Expect(a).To(Equal("True"))
	g.Expect(b).To(Equal("True"))
	g.Expect(in.values).To(HaveLen(1))
	long := strings.Repeat("x", maxInternedValueLen+1)
	g.Expect(in.value([]byte(long))).To(Equal(long))
	g.Expect(in.values).To(HaveLen(1), "a long value is not interned")
	for i := range maxInterned + 1 {
		in.key(fmt.Appendf(nil, "k%d", i))
	}
	g.Expect(len(in.keys)).To(BeNumerically("<=", maxInterned), "a full table starts again")
	g.Expect(in.key([]byte("k1"))).To(Equal("k1"))
}
