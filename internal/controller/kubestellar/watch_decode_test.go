package kubestellar

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	restclientwatch "k8s.io/client-go/rest/watch"
)

// The equivalence of the WDS watches' decoder with client-go's: the same response bodies go
// through the dynamic client's watch (what controller-runtime's unstructured informers use) and
// through wdsWatcher.watch, both over client-go's real HTTP client, answered in process.

// servedBody answers every request with body as a watch response, remembering the request.
type servedBody struct {
	body []byte
	last *http.Request
}

func (s *servedBody) RoundTrip(r *http.Request) (*http.Response, error) {
	s.last = r
	return &http.Response{StatusCode: http.StatusOK, Request: r, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": []string{"application/json"}},
		Body:   io.NopCloser(bytes.NewReader(s.body))}, nil
}

var deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

type decoderPair struct {
	served   *servedBody
	standard dynamic.NamespaceableResourceInterface
	ours     *wdsWatcher
}

func newDecoderPair(t testing.TB) *decoderPair {
	served := &servedBody{}
	cfg := &rest.Config{Host: "https://wds.test", Transport: served, QPS: -1}
	std, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := newWDSWatcher(cfg, httpClient, func() meta.RESTMapper { return nil })
	if err != nil {
		t.Fatal(err)
	}
	return &decoderPair{served: served, standard: std.Resource(deploymentsGVR), ours: ours}
}

func drain(t testing.TB, w watch.Interface) []watch.Event {
	var events []watch.Event
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-w.ResultChan():
			if !ok {
				return events
			}
			events = append(events, e)
		case <-deadline:
			t.Fatal("the watch did not end with its response body")
		}
	}
}

// decodeBoth returns the events of body as the dynamic client decodes them and as ours does.
func (d *decoderPair) decodeBoth(t testing.TB, body []byte) (standard, ours []watch.Event) {
	ctx := context.Background()
	d.served.body = body
	ws, err := d.standard.Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	standard = drain(t, ws)
	wo, err := d.ours.watch(ctx, deploymentsGVR, metav1.ListOptions{}, decodeWDSEvent)
	if err != nil {
		t.Fatal(err)
	}
	return standard, drain(t, wo)
}

// expected is what our decoder must give for a standard event: the object as the cache's
// transform leaves it, a BOOKMARK's and an ERROR's as they are; a decoding error (a Status
// from the client's error reporter) is only expected to be one too.
func expected(e watch.Event) watch.Event {
	if e.Type != watch.Bookmark && e.Type != watch.Error {
		_, _ = slimWDSObject(e.Object)
	}
	return e
}

func assertEquivalent(t testing.TB, d *decoderPair, body []byte) {
	t.Helper()
	standard, ours := d.decodeBoth(t, body)
	g := NewWithT(t)
	g.Expect(ours).To(HaveLen(len(standard)), "events of %q", body)
	for i := range standard {
		want := expected(standard[i])
		g.Expect(ours[i].Type).To(Equal(want.Type), "event %d of %q", i, body)
		if status, ok := want.Object.(*metav1.Status); ok {
			g.Expect(ours[i].Object).To(BeAssignableToTypeOf(status),
				"event %d of %q: a decoding error, %s", i, body, status.Message)
			continue
		}
		g.Expect(ours[i].Object).To(Equal(want.Object), "event %d of %q", i, body)
	}
}

func managedFieldsEntry(manager, subresource, fields string) map[string]any {
	var f any
	if err := json.Unmarshal([]byte(fields), &f); err != nil {
		panic(err)
	}
	e := map[string]any{"manager": manager, "operation": "Update", "apiVersion": "apps/v1",
		"time": "2026-12-06T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": f}
	if subresource != "" {
		e["subresource"] = subresource
	}
	return e
}

func realisticDeployment() map[string]any {
	d := map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{
			"name": "web", "namespace": "default", "uid": "3c1f1f8e-7d3c-4f6e-9e1a-0c6b7a1d2e3f",
			"resourceVersion": "123456", "generation": 4, "creationTimestamp": "2026-12-06T09:00:00Z",
			"labels": map[string]any{"app": "web", "app.kubernetes.io/managed-by": "kubectl"},
			"annotations": map[string]any{
				"deployment.kubernetes.io/revision": "3",
				AnnotationWECStatus:                 "wec1=Current,wec2=InProgress",
				AnnotationReportingWECs:             "2",
			},
			"managedFields": []any{
				managedFieldsEntry("kubectl-client-side-apply", "",
					`{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}},"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{}}}}}}}`),
				managedFieldsEntry("kube-controller-manager", "",
					`{"f:metadata":{"f:annotations":{"f:deployment.kubernetes.io/revision":{}}}}`),
				managedFieldsEntry("kube-controller-manager", "status",
					`{"f:status":{"f:availableReplicas":{},"f:conditions":{".":{},"k:{\"type\":\"Available\"}":{".":{},"f:status":{}}},"f:replicas":{}}}`),
				managedFieldsEntry(FieldManager, "",
					`{"f:metadata":{"f:annotations":{"f:kubestellar.statefulsingleton.com/wec-status":{}},"f:labels":{"f:x":{}},"f:finalizers":{}}}`),
				managedFieldsEntry(KubeStellarStatusManager, "status",
					`{"f:status":{"f:readyReplicas":{},"f:conditions":{"k:{\"type\":\"Progressing\"}":{}}}}`),
			},
		},
		"spec": map[string]any{
			"replicas": 3, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
			"selector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
			"strategy": map[string]any{"type": "RollingUpdate",
				"rollingUpdate": map[string]any{"maxSurge": "25%", "maxUnavailable": "25%"}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": "web"}, "creationTimestamp": nil},
				"spec": map[string]any{"containers": []any{map[string]any{
					"name": "web", "image": "nginx:1.27", "resources": map[string]any{},
					"env": []any{map[string]any{"name": "GREETING", "value": "h\u00e9llo \U0001F600 <&>"}},
				}}, "restartPolicy": "Always", "terminationGracePeriodSeconds": 30},
			},
		},
		"status": map[string]any{
			"observedGeneration": 4, "replicas": 3, "readyReplicas": 3, "availableReplicas": 3,
			"conditions": []any{map[string]any{"type": "Available", "status": "True",
				"lastTransitionTime": "2026-12-06T09:01:00Z", "reason": "MinimumReplicasAvailable",
				"message": "Deployment has minimum availability."}},
		},
	}
	md := d["metadata"].(map[string]any)
	lastApplied, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	md["annotations"].(map[string]any)["kubectl.kubernetes.io/last-applied-configuration"] = string(lastApplied) + "\n"
	return d
}

func watchEvent(typ watch.EventType, obj any) string {
	b, err := json.Marshal(map[string]any{"type": typ, "object": obj})
	if err != nil {
		panic(err)
	}
	return string(b) + "\n"
}

// seedEvents are realistic watch streams, and some odd ones.
func seedEvents() []string {
	job := map[string]any{"apiVersion": "batch/v1", "kind": "Job",
		"metadata": map[string]any{"name": "once", "namespace": "ns", "annotations": map[string]any{"other": "x"},
			"managedFields": []any{managedFieldsEntry("kube-controller-manager", "status", `{"f:status":{"f:active":{}}}`)}},
		"spec": map[string]any{"completions": 5, "parallelism": 2, "backoffLimit": 6,
			"template": map[string]any{"spec": map[string]any{"containers": []any{}}}},
		"status": map[string]any{"active": 2, "succeeded": 1, "ready": 0, "terminating": 0}}
	cronJob := map[string]any{"apiVersion": "batch/v1", "kind": "CronJob",
		"metadata": map[string]any{"name": "nightly", "namespace": "ns", "annotations": map[string]any{}},
		"spec": map[string]any{"schedule": "0 3 * * *",
			"jobTemplate": map[string]any{"spec": map[string]any{"template": map[string]any{}}}},
		"status": map[string]any{}}
	widget := map[string]any{"apiVersion": "example.com/v1alpha1", "kind": "Widget",
		"metadata": map[string]any{"name": "w", "namespace": "ns",
			"annotations":   map[string]any{AnnotationReportingWECs: "1"},
			"managedFields": []any{managedFieldsEntry(FieldManager, "status", `{"f:status":{"f:phase":{}}}`), "odd", nil}},
		"spec": map[string]any{"size": 1.5, "big": 12345678901234567890.0, "neg": -7, "zero": 0,
			"empty": map[string]any{}, "none": []any{}, "nothing": nil, "template": "a string here"},
		"status": map[string]any{"phase": "Ready\t\"quoted\" \\ /", "ratio": 0.25}}
	bookmark := map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"resourceVersion": "123999",
			"annotations": map[string]any{metav1.InitialEventsAnnotationKey: "true"}}}
	gone := map[string]any{"apiVersion": "v1", "kind": "Status", "metadata": map[string]any{},
		"status": "Failure", "message": "too old resource version: 1 (2)", "reason": "Expired", "code": 410}
	deployment := realisticDeployment()
	return []string{
		watchEvent(watch.Added, deployment),
		watchEvent(watch.Added, deployment) + watchEvent(watch.Modified, job) + watchEvent(watch.Deleted, cronJob) +
			watchEvent(watch.Modified, widget) + watchEvent(watch.Bookmark, bookmark),
		watchEvent(watch.Error, gone),
		// Literal JSON: escapes, numbers, spacing, key order, duplicates.
		`{"object":{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"caf\u00e9 \ud83d\ude00 \ud800 x\u0041",` +
			`"annotations":{"kubestellar.statefulsingleton.com/wec-status":"a\/b\n","z":"\u2028"}},` +
			`"spec":{"n":9223372036854775807,"m":9223372036854775808,"f":1.0,"e":1e3,"E":-2.5E-3,"z":-0,"t":true,"u":false}},"type":"BOOKMARK"}`,
		` {"type" : "MODIFIED" , "object" : { "kind" : "Deployment" , "apiVersion" : "apps/v1" , "spec" : { "template" : [ 1 , { } ] , "replicas" : 2 } } } ` + "\n\t",
		`{"type":"ADDED","type":"MODIFIED","object":{"kind":"A","apiVersion":"v1","metadata":{"annotations":{"a":"b"},"annotations":{"kubestellar.statefulsingleton.com/reporting-wecs":"3"}}}}`,
		`{"type":"ADDED","object":{"kind":"A","apiVersion":"v1","metadata":{"managedFields":[{"manager":"other","fieldsV1":{"f:status":{"f:a":{"f:b":{}}}},"manager":"Status"}]}}}`,
		`{"type":"ADDED","object":{"kind":"A","apiVersion":"v1","metadata":{"annotations":{"a":1,"kubestellar.statefulsingleton.com/wec-status":"x"}}}}`,
		`{"type":"ADDED","object":{"kind":"A","apiVersion":"v1","metadata":{"managedFields":[{"manager":"Status","fieldsV1":{"f:status":"x","f:metadata":{"f:labels":null,"f:name":{}}}}]}}}`,
		`{"type":"ADDED","object":{"kind":"List","apiVersion":"v1","items":[]}}`,
		`{"type":"ADDED","object":{"apiVersion":"v1","metadata":{}}}`,
		`{"type":"ADDED","object":{"kind":"A","apiVersion":"a/b/c"}}`,
		`{"type":"UNKNOWN","object":{"kind":"A"}}`,
		`{"type":"ADDED","object":{"kind":"A","x":1e400}}`,
		`{"type":"ADDED","object":{"kind":"A","x":"unterminated`,
		`{"type":"ADDED","object":{"kind":"A","x":[1,]}}`,
		`{"type":"ADDED","object":null}`,
		`{"type":null,"object":{"kind":"A"}}`,
		"",
		"   \n",
		// Values that are not objects: complete ones are errors, cut ones end the stream.
		"12", "0.", "-", `"abc"`, `"ab`, "[1,2]", "null", "tru",
	}
}

func TestWDSEventDecoderMatchesStandardDecodeAndSlim(t *testing.T) {
	d := newDecoderPair(t)
	for _, body := range seedEvents() {
		assertEquivalent(t, d, []byte(body))
	}
	// encoding/json's nesting limit, counted from the envelope: 2 + 9998 levels pass, one more not.
	for _, depth := range []int{9998, 9999} {
		body := `{"type":"ADDED","object":{"kind":"A","apiVersion":"v1","x":` +
			strings.Repeat("[", depth) + strings.Repeat("]", depth) + "}}"
		assertEquivalent(t, d, []byte(body))
	}
}

// The request is the watch client-go's dynamic client makes of the resource.
func TestWDSWatchRequest(t *testing.T) {
	g := NewWithT(t)
	d := newDecoderPair(t)
	d.served.body = nil
	w, err := d.ours.watch(context.Background(), deploymentsGVR, metav1.ListOptions{
		ResourceVersion: "42", ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan,
		SendInitialEvents: new(true), TimeoutSeconds: new(int64(300)),
	}, decodeWDSEvent)
	g.Expect(err).NotTo(HaveOccurred())
	drain(t, w)
	g.Expect(d.served.last.URL.Path).To(Equal("/apis/apps/v1/deployments"))
	g.Expect(d.served.last.URL.Query()).To(Equal(url.Values{
		"watch": {"true"}, "allowWatchBookmarks": {"true"}, "resourceVersion": {"42"},
		"resourceVersionMatch": {"NotOlderThan"}, "sendInitialEvents": {"true"}, "timeoutSeconds": {"300"},
	}))
	g.Expect(d.served.last.Header.Get("Accept")).To(Equal("application/json"))

	_, err = d.ours.watch(context.Background(), schema.GroupVersionResource{Version: "v1", Resource: "configmaps"},
		metav1.ListOptions{}, decodeWDSEvent)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.served.last.URL.Path).To(Equal("/api/v1/configmaps"))
}

// trickle reads at most n bytes at a time.
type trickle struct {
	r io.Reader
	n int
}

func (t *trickle) Read(b []byte) (int, error) { return t.r.Read(b[:min(len(b), t.n)]) }

// expectSameInPieces: a stream of body read a few bytes at a time decodes with decode as one read
// at once, into events events.
func expectSameInPieces(g Gomega, body string, decode eventDecoder, events int) {
	whole := newEventStream(io.NopCloser(strings.NewReader(body)), decode)
	var want []watch.Event
	for {
		typ, obj, err := whole.Decode()
		if errors.Is(err, io.EOF) {
			break
		}
		g.Expect(err).NotTo(HaveOccurred())
		want = append(want, watch.Event{Type: typ, Object: obj})
	}
	g.Expect(want).To(HaveLen(events))
	for _, n := range []int{1, 7, 100, 4096} {
		s := newEventStream(io.NopCloser(&trickle{r: strings.NewReader(body), n: n}), decode)
		s.buf = make([]byte, 16) // it grows as the events need
		for i := range want {
			typ, obj, err := s.Decode()
			g.Expect(err).NotTo(HaveOccurred(), "pieces of %d", n)
			g.Expect(watch.Event{Type: typ, Object: obj}).To(Equal(want[i]), "pieces of %d", n)
		}
		_, _, err := s.Decode()
		g.Expect(err).To(Equal(io.EOF))
	}
}

// A stream read a few bytes at a time decodes as one read at once; one cut short ends in an
// unexpected EOF.
func TestWDSEventStreamReadInPieces(t *testing.T) {
	g := NewWithT(t)
	body := strings.Join(seedEvents()[:2], "")
	expectSameInPieces(g, body, decodeWDSEvent, 6)
	s := newEventStream(io.NopCloser(&trickle{r: strings.NewReader(body[:len(body)-10]), n: 50}), decodeWDSEvent)
	for range 5 {
		_, _, err := s.Decode()
		g.Expect(err).NotTo(HaveOccurred())
	}
	_, _, err := s.Decode()
	g.Expect(err).To(Equal(io.ErrUnexpectedEOF))
}

func FuzzWDSEventDecoder(f *testing.F) {
	for _, body := range seedEvents() {
		f.Add([]byte(body))
	}
	d := newDecoderPair(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		// A decoder that hangs fails too (the fuzzer would only stall): crash with the input.
		watchdog := time.AfterFunc(5*time.Second, func() { panic(fmt.Sprintf("decoding %q hangs", body)) })
		defer watchdog.Stop()
		assertEquivalent(t, d, body)
	})
}

// BenchmarkWDSEventDecode compares, for a stream of one Deployment's watch events, client-go's
// decode of an event and the cache's transform of its object with eventStream's decode.
func BenchmarkWDSEventDecode(b *testing.B) {
	ev := []byte(watchEvent(watch.Modified, realisticDeployment()))
	b.Logf("one event: %d bytes", len(ev))
	b.Run("standard+slim", func(b *testing.B) {
		d := newStandardEventDecoder(&repeated{b: ev})
		b.ReportAllocs()
		for range b.N {
			_, obj, err := d.Decode()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := slimWDSObject(obj); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("one-pass", func(b *testing.B) {
		d := newEventStream(io.NopCloser(&repeated{b: ev}), decodeWDSEvent)
		b.ReportAllocs()
		for range b.N {
			if _, _, err := d.Decode(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// repeated reads b again and again, without end.
type repeated struct {
	b   []byte
	pos int
}

func (r *repeated) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.b[r.pos:])
		n += c
		r.pos = (r.pos + c) % len(r.b)
	}
	return n, nil
}

// newStandardEventDecoder is the decoder client-go's rest client makes for a dynamic client's
// watch response (rest.Request.Watch with the dynamic client's negotiated serializer).
func newStandardEventDecoder(r io.Reader) watch.Decoder {
	info, ok := runtime.SerializerInfoForMediaType(
		dynamic.ConfigFor(&rest.Config{}).NegotiatedSerializer.SupportedMediaTypes(), runtime.ContentTypeJSON)
	if !ok {
		panic("the dynamic client has no JSON serializer")
	}
	frames := info.StreamSerializer.NewFrameReader(io.NopCloser(r))
	return restclientwatch.NewDecoder(streaming.NewDecoder(frames, info.StreamSerializer.Serializer), info.Serializer)
}
