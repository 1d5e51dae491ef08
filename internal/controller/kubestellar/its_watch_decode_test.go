package kubestellar

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	restclientwatch "k8s.io/client-go/rest/watch"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// The equivalence of the ITS WorkStatus watch's decoder with client-go's: the same response
// bodies go through the typed watch controller-runtime makes for the ITS cache's WorkStatus
// informer (apiutil.RESTClientForGVK with the cluster's scheme) and through itsWatcher.watch,
// both over client-go's real HTTP client, answered in process; the objects then go through the
// cache's transform.

type itsDecoderPair struct {
	served   *servedBody
	standard rest.Interface
	params   runtime.ParameterCodec
	ours     *itsWatcher
}

var itsTestSelector = labels.SelectorFromSet(labels.Set{labelOriginWDS: "wds1"})

func newITSDecoderPair(t testing.TB) *itsDecoderPair {
	served := &servedBody{}
	cfg := &rest.Config{Host: "https://its.test", Transport: served, QPS: -1}
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	std, err := apiutil.RESTClientForGVK(workStatusGVK, false, false, cfg, serializer.NewCodecFactory(itsScheme), httpClient)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := newITSWatcher(cfg, httpClient, itsTestSelector)
	if err != nil {
		t.Fatal(err)
	}
	return &itsDecoderPair{served: served, standard: std, params: runtime.NewParameterCodec(itsScheme), ours: ours}
}

// standardWatch is controller-runtime's watch of the cache's WorkStatus informer (its
// informers.go: the selector applied, then the structured object's watch).
func (d *itsDecoderPair) standardWatch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	opts.Watch = true
	opts.AllowWatchBookmarks = true
	opts.LabelSelector = itsTestSelector.String()
	return d.standard.Get().Resource("workstatuses").VersionedParams(&opts, d.params).Watch(ctx)
}

func (d *itsDecoderPair) decodeBoth(t testing.TB, body []byte) (standard, ours []watch.Event) {
	ctx := context.Background()
	d.served.body = body
	ws, err := d.standardWatch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	standard = drain(t, ws)
	wo, err := d.ours.watchWorkStatuses(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return standard, drain(t, wo)
}

// itsTestNows are the moments the transform is run at: one long after the bench objects'
// status writes (writtenTime takes the managedFields' time), one just after.
var itsTestNows = []time.Time{
	time.Date(2026, 12, 6, 13, 0, 0, 0, time.UTC),
	time.Date(2026, 12, 6, 11, 0, 2, 0, time.UTC),
}

// stampedAt is obj through the ITS cache's transform run at now.
func stampedAt(t testing.TB, obj runtime.Object, now time.Time) runtime.Object {
	ws, ok := obj.(*WorkStatus)
	if !ok {
		return obj
	}
	out, err := stampWorkStatus(func() time.Time { return now }, maxStatusBytes)(ws.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	return out.(*WorkStatus)
}

func assertITSEquivalent(t testing.TB, d *itsDecoderPair, body []byte) {
	t.Helper()
	standard, ours := d.decodeBoth(t, body)
	g := NewWithT(t)
	g.Expect(ours).To(HaveLen(len(standard)), "events of %q", body)
	for i := range standard {
		want := standard[i]
		g.Expect(ours[i].Type).To(Equal(want.Type), "event %d of %q", i, body)
		if status, ok := want.Object.(*metav1.Status); ok && want.Type == watch.Error {
			g.Expect(ours[i].Object).To(BeAssignableToTypeOf(status),
				"event %d of %q: an error, %s", i, body, status.Message)
			continue
		}
		if want.Type == watch.Bookmark {
			g.Expect(ours[i].Object).To(Equal(want.Object), "event %d of %q", i, body)
			continue
		}
		for _, obj := range []runtime.Object{want.Object, ours[i].Object} {
			if ws, ok := obj.(*WorkStatus); ok {
				ws.SetSelfLink("") // not decoded: no longer set, read by nobody
			}
		}
		for _, now := range itsTestNows {
			g.Expect(stampedAt(t, ours[i].Object, now)).To(Equal(stampedAt(t, want.Object, now)),
				"event %d of %q, cached at %s", i, body, now)
		}
	}
}

// itsWorkStatus is benchWorkStatusJSON with edits: old -> new, in turn.
func itsWorkStatus(seq int, edits ...string) string {
	s := string(benchWorkStatusJSON("wec1", "web", seq))
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(s, edits[i]) {
			panic("no " + edits[i])
		}
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	return s
}

func itsEvent(typ watch.EventType, obj string) string {
	return fmt.Sprintf(`{"type":%q,"object":%s}`+"\n", typ, obj)
}

// itsSeedEvents are realistic ITS watch streams, and some odd ones.
func itsSeedEvents() []string {
	const meta = `"metadata":{"name":"apps-deployments-bench-web",`
	const md = `"creationTimestamp":"2026-12-06T11:00:00Z",`
	deleting := itsWorkStatus(2, md, md+`"deletionTimestamp":"2026-12-06T11:30:00+01:00","deletionGracePeriodSeconds":0,`+
		`"finalizers":["a","b\u00e9"],"ownerReferences":[{"apiVersion":"work.open-cluster-management.io/v1","kind":"ManifestWork",`+
		`"name":"w","uid":"u-1","controller":true,"blockOwnerDeletion":false},null,{"name":"x","controller":null}],`+
		`"generateName":"apps-","selfLink":"/x","annotations":{"a":"b","c":null},"labels":null,`)
	bookmark := `{"kind":"WorkStatus","apiVersion":"control.kubestellar.io/v1alpha1","metadata":{"resourceVersion":"99",` +
		`"annotations":{"k8s.io/initial-events-end":"true"}}}`
	gone := `{"apiVersion":"v1","kind":"Status","metadata":{},"status":"Failure","message":"too old resource version: 1 (2)",` +
		`"reason":"Expired","code":410}`
	oddObjects := []string{
		itsWorkStatus(3, `"status":{`, `"status":null,"x":{`),
		itsWorkStatus(4, `"status":{`, `"status":"just a string","x":{`),
		itsWorkStatus(5, `"generation":1`, `"generation":1.0`),
		itsWorkStatus(6, `"generation":1`, `"generation":12345678901234567890`),
		itsWorkStatus(7, `"generation":1`, `"generation":1234567890123456789`),
		itsWorkStatus(8, `"generation":1`, `"generation":-0`),
		itsWorkStatus(9, `"generation":1`, `"generation":"1"`),
		itsWorkStatus(10, md, `"creationTimestamp":"yesterday",`),
		itsWorkStatus(11, md, `"creationTimestamp":null,`),
		itsWorkStatus(12, `"labels":{`, `"labels":{"n":1,`),
		itsWorkStatus(13, `"labels":{`, `"labels":{"a":"b"},"labels":{`),
		itsWorkStatus(14, `"kind":"WorkStatus"`, `"Kind":"WorkStatus"`),
		itsWorkStatus(15, `"kind":"WorkStatus"`, `"kind":"WorkStatusList"`),
		itsWorkStatus(16, `"kind":"WorkStatus"`, `"kind":"Other"`),
		itsWorkStatus(17, `"kind":"WorkStatus",`, ``),
		itsWorkStatus(18, `"apiVersion":"control.kubestellar.io/v1alpha1"`, `"apiVersion":"v1"`),
		itsWorkStatus(19, `"kind":"WorkStatus"`, `"kind":"WorkStatus","kind":"WorkStatus"`),
		itsWorkStatus(20, meta, `"metadata":{"name":"first","n\u0061me":"second",`),
		itsWorkStatus(21, `"namespace":"bench",`, `"namespace":"bench","namespace":"other",`),
		itsWorkStatus(22, `"spec":{`, `"spec":{"sourceRef":null,"other":[1,2],`),
		itsWorkStatus(23, `"spec":{`, `"spec":{"sourceRef":{"name":5},`),
		itsWorkStatus(24, `"time":"2026-12-06T11:00:01Z"`, `"time":null`),
		itsWorkStatus(25, `"time":"2026-12-06T11:00:01Z"`, `"time":"2026-12-06T11:00:01.5-02:00"`),
		itsWorkStatus(26, `"time":"2026-12-06T11:00:00Z"`, `"time":"2026-12-06T11:59:00Z"`),
		itsWorkStatus(27, `"fieldsV1":{"f:status":{`, `"fieldsV1":{"f:status" :{`),
		itsWorkStatus(28, `"managedFields":[`, `"managedFields":[null,7,`),
		itsWorkStatus(29, `"managedFields":[`, `"managedFields":null,"x":[`),
		itsWorkStatus(30, `"managedFields":[{"manager":"status-agent"`, `"managedFields":[{"manager":3`),
		itsWorkStatus(31, `"uid":"`, `"uid":null,"x":"`),
		itsWorkStatus(32, `"metadata":{`, `"metadata":null,"x":{`),
		itsWorkStatus(33, `"status":{"availableReplicas":1`, `"status":{"availableReplicas":1e400`),
		itsWorkStatus(34, `"status":{`, `"status" : {"big":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`,`),
		itsWorkStatus(35, md, md+`"finalizers":[]`+`,"ownerReferences":[],`),
		itsWorkStatus(36, md, md+`"finalizers":[1],`),
		itsWorkStatus(37, md, md+`"ownerReferences":[{"controller":"yes"}],`),
		itsWorkStatus(38, md, md+`"deletionTimestamp":null,"deletionGracePeriodSeconds":null,`),
		`{"kind":"WorkStatus","apiVersion":"control.kubestellar.io/v1alpha1"}`,
		`{"kind":"WorkStatus","apiVersion":"control.kubestellar.io/v1alpha1","metadata":{},"spec":{},"status":{}}`,
		`{"kind":"WorkStatus","apiVersion":"control.kubestellar.io/v1alpha1","metadata":{"name":"caf\u00e9 \ud83d\ude00 \ud800"}}`,
	}
	events := make([]string, 0, 30+len(oddObjects))
	events = append(events,
		itsEvent(watch.Added, itsWorkStatus(1)),
		itsEvent(watch.Added, itsWorkStatus(1))+itsEvent(watch.Modified, itsWorkStatus(2))+
			itsEvent(watch.Deleted, deleting)+itsEvent(watch.Bookmark, bookmark),
		itsEvent(watch.Error, gone),
		itsEvent(watch.Added, gone),
		`{"object":`+itsWorkStatus(1)+`,"type":"ADDED"}`,
		`{"type":"ADDED","type":"MODIFIED","object":`+itsWorkStatus(1)+`}`,
		`{"type":"ADDED","object":`+itsWorkStatus(1)+`,"object":`+itsWorkStatus(2)+`}`,
		`{"kind":"WatchEvent","type":"ADDED","object":`+itsWorkStatus(1)+`}`,
		` {"type" : "MODIFIED" , "object" : `+itsWorkStatus(1)+` } `+"\n\t",
		`{"type":"UNKNOWN","object":`+itsWorkStatus(1)+`}`,
		`{"type":5,"object":`+itsWorkStatus(1)+`}`,
		`{"type":"ADDED","object":null}`,
		`{"type":"ADDED","object":[]}`,
		`{"type":"ADDED","object":`+itsWorkStatus(1)[:200],
		`{"type":"ADDED","object":{"kind":"WorkStatus","x":[1,]}}`,
		"", "   \n", "12", `"abc"`, "[1,2]", "null", "tru",
	)
	for _, o := range oddObjects {
		events = append(events, itsEvent(watch.Modified, o))
	}
	return events
}

func TestWorkStatusEventDecoderMatchesStandardDecode(t *testing.T) {
	d := newITSDecoderPair(t)
	for _, body := range itsSeedEvents() {
		assertITSEquivalent(t, d, []byte(body))
	}
	// encoding/json's nesting limit, counted from the envelope.
	for _, depth := range []int{9998, 9999} {
		body := itsEvent(watch.Added, itsWorkStatus(1, `"status":{`, `"status":{"x":`+
			strings.Repeat("[", depth-1)+strings.Repeat("]", depth-1)+`,`))
		assertITSEquivalent(t, d, []byte(body))
	}
}

// The common event is decoded by the one pass, not handed to the standard decoder.
func TestWorkStatusEventDecodedInOnePass(t *testing.T) {
	g := NewWithT(t)
	ev := []byte(itsEvent(watch.Modified, itsWorkStatus(1)))
	p := &itsParser{eventParser: eventParser{b: ev}}
	typ, ws, err := p.event()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.odd).To(BeFalse())
	g.Expect(typ).To(Equal(watch.Modified))
	g.Expect(ws.Name).To(Equal("apps-deployments-bench-web"))
	g.Expect(ws.ManagedFields).To(HaveLen(1))
}

// The request is the watch controller-runtime makes of the cache's WorkStatuses.
func TestITSWatchRequest(t *testing.T) {
	g := NewWithT(t)
	d := newITSDecoderPair(t)
	d.served.body = nil
	opts := metav1.ListOptions{
		ResourceVersion: "42", ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan,
		SendInitialEvents: new(true), TimeoutSeconds: new(int64(300)),
	}
	w, err := d.standardWatch(context.Background(), opts)
	g.Expect(err).NotTo(HaveOccurred())
	drain(t, w)
	standard := d.served.last
	w, err = d.ours.watchWorkStatuses(context.Background(), opts)
	g.Expect(err).NotTo(HaveOccurred())
	drain(t, w)
	g.Expect(d.served.last.URL.Path).To(Equal("/apis/control.kubestellar.io/v1alpha1/workstatuses"))
	g.Expect(d.served.last.URL.Path).To(Equal(standard.URL.Path))
	g.Expect(d.served.last.URL.Query()).To(Equal(standard.URL.Query()))
	g.Expect(d.served.last.URL.Query().Get("labelSelector")).To(Equal(labelOriginWDS + "=wds1"))
	g.Expect(d.served.last.Header.Get("Accept")).To(Equal("application/json"))
	g.Expect(standard.Header.Get("Accept")).To(HavePrefix("application/json"))
}

func FuzzWorkStatusEventDecode(f *testing.F) {
	for _, body := range itsSeedEvents() {
		f.Add([]byte(body))
	}
	d := newITSDecoderPair(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		watchdog := time.AfterFunc(5*time.Second, func() { panic(fmt.Sprintf("decoding %q hangs", body)) })
		defer watchdog.Stop()
		assertITSEquivalent(t, d, body)
	})
}

// BenchmarkWorkStatusEventDecode compares, for a stream of one WorkStatus's watch events (as
// the ITS serves them to the operator), client-go's typed decode of an event and the cache's
// transform of its object with the one-pass decode and the same transform.
func BenchmarkWorkStatusEventDecode(b *testing.B) {
	ev := []byte(itsEvent(watch.Modified, itsWorkStatus(1)))
	b.Logf("one event: %d bytes", len(ev))
	transform := stampWorkStatus(time.Now, maxStatusBytes)
	run := func(b *testing.B, d watch.Decoder) {
		b.ReportAllocs()
		for range b.N {
			_, obj, err := d.Decode()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := transform(obj); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("standard", func(b *testing.B) {
		frames := itsJSON.StreamSerializer.NewFrameReader(io.NopCloser(&repeated{b: ev}))
		run(b, restclientwatch.NewDecoder(streaming.NewDecoder(frames, itsJSON.StreamSerializer.Serializer), itsObjectDecoder))
	})
	b.Run("one-pass", func(b *testing.B) {
		run(b, newEventStream(io.NopCloser(&repeated{b: ev}), decodeWorkStatusEvent))
	})
}

// A stream read a few bytes at a time decodes as one read at once.
func TestWorkStatusEventStreamReadInPieces(t *testing.T) {
	expectSameInPieces(NewWithT(t), strings.Join(itsSeedEvents()[:2], ""), decodeWorkStatusEvent, 5)
}
