package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
)

// The combined-status benchmark (issue 14): a StatusCollector, named by every object's
// downsync Binding, counts the object's WECs and sums their collisionCount grouped by
// readyReplicas; a change is a WorkStatus status patch of a WEC whose report does not change
// the object's reported state, and it has landed when the object's CombinedStatus (watched by
// the driver) shows the new sum.
const (
	collectorName = "bench-combined"
	// labelCSName is KubeStellar's label naming a CombinedStatus's workload object.
	labelCSName = "status.kubestellar.io/name"
	sumColumn   = "sum"
	countColumn = "wecs"
)

var (
	statusCollectorGVR = schema.GroupVersionResource{Group: ksGroup, Version: ksVersion, Resource: "statuscollectors"}
	combinedStatusGVR  = schema.GroupVersionResource{Group: ksGroup, Version: ksVersion, Resource: "combinedstatuses"}
)

func createCollector(ctx context.Context, wds *server) error {
	sc := &unstructured.Unstructured{Object: map[string]any{
		fieldAPIVersion: ksGroup + "/" + ksVersion, fieldKind: "StatusCollector",
		fieldMetadata: map[string]any{fieldName: collectorName},
		fieldSpec: map[string]any{
			"groupBy": []any{map[string]any{fieldName: "ready", "def": "returned.status.readyReplicas"}},
			"combinedFields": []any{
				map[string]any{fieldName: countColumn, fieldType: "COUNT"},
				map[string]any{fieldName: sumColumn, fieldType: "SUM",
					"subject": "has(returned.status.collisionCount) ? returned.status.collisionCount : 0"},
			},
			"limit": int64(20),
		},
	}}
	_, err := wds.dyn.Resource(statusCollectorGVR).Create(ctx, sc, metav1.CreateOptions{})
	return err
}

func deleteCollector(ctx context.Context, wds *server) error {
	err := wds.dyn.Resource(statusCollectorGVR).Delete(ctx, collectorName, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// combinedTracker follows the workload's CombinedStatus objects through a watch of the
// driver's own and matches the changes the driver made in the ITS to the moment they show.
type combinedTracker struct {
	w  workload
	mu sync.Mutex
	// shown is each object's sum and count as its CombinedStatus last showed them.
	shown map[string][2]float64
	// values are each object's WorkStatus collisionCounts by WEC, as the driver wrote them.
	values  map[string][]float64
	pending map[string]pending
	objects int // CombinedStatus objects seen
}

func newCombinedTracker(w workload) *combinedTracker {
	return &combinedTracker{w: w, shown: map[string][2]float64{}, pending: map[string]pending{}}
}

// readValues reads every WorkStatus's collisionCount from the ITS (while nothing writes).
func (t *combinedTracker) readValues(ctx context.Context, its *server) error {
	values := map[string][]float64{}
	for k := range t.w.wecs {
		list, err := its.dyn.Resource(workStatusGVR).Namespace(t.w.wec(k)).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		for _, ws := range list.Items {
			obj, _, _ := unstructured.NestedString(ws.Object, "spec", "sourceRef", fieldName)
			if values[obj] == nil {
				values[obj] = make([]float64, t.w.wecs)
			}
			seq, _, _ := unstructured.NestedInt64(ws.Object, fieldStatus, fieldCollision)
			values[obj][k] = float64(seq)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.values = values
	return nil
}

func (t *combinedTracker) want(object string) float64 {
	s := 0.0
	for _, v := range t.values[object] {
		s += v
	}
	return s
}

// correct counts the objects whose CombinedStatus shows the sum of what their WorkStatuses
// hold and a count of every WEC.
func (t *combinedTracker) correct() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for i := range t.w.objects {
		o := t.w.object(i)
		if s, ok := t.shown[o]; ok && s[0] >= t.want(o) && s[1] == float64(t.w.wecs) {
			n++
		}
	}
	return n
}

func (t *combinedTracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.objects
}

// expect records a change of object i's WorkStatus in WEC k to seq that the driver is about
// to write.
func (t *combinedTracker) expect(i, k int, seq int64, st *stepStats) {
	o := t.w.object(i)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.values[o][k] = float64(seq)
	if old, ok := t.pending[o]; ok {
		old.st.superseded++
	}
	t.pending[o] = pending{seq: int64(t.want(o)), sent: time.Now(), st: st}
}

func (t *combinedTracker) outstanding() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pending)
}

func (t *combinedTracker) forget() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(t.pending)
	clear(t.pending)
	return n
}

// run lists and watches the CombinedStatus objects of the workload namespace until ctx ends.
func (t *combinedTracker) run(ctx context.Context, wds *server) {
	res := wds.dyn.Resource(combinedStatusGVR).Namespace(workloadNS)
	for ctx.Err() == nil {
		list, err := res.List(ctx, metav1.ListOptions{})
		if err != nil {
			time.Sleep(time.Second)
			continue
		}
		for i := range list.Items {
			t.observe(&list.Items[i], watch.Added)
		}
		rv := list.GetResourceVersion()
		for ctx.Err() == nil {
			var err error
			if rv, err = t.watchFrom(ctx, wds, rv); apierrors.IsGone(err) || apierrors.IsResourceExpired(err) {
				break
			}
		}
	}
}

func (t *combinedTracker) watchFrom(ctx context.Context, wds *server, rv string) (string, error) {
	wi, err := wds.dyn.Resource(combinedStatusGVR).Namespace(workloadNS).Watch(ctx, metav1.ListOptions{
		ResourceVersion: rv, AllowWatchBookmarks: true,
	})
	if err != nil {
		time.Sleep(200 * time.Millisecond)
		return rv, err
	}
	defer wi.Stop()
	for ev := range wi.ResultChan() {
		if ev.Type == watch.Error {
			return rv, apierrors.FromObject(ev.Object)
		}
		u, ok := ev.Object.(*unstructured.Unstructured)
		if !ok {
			continue
		}
		rv = u.GetResourceVersion()
		if ev.Type != watch.Bookmark {
			t.observe(u, ev.Type)
		}
	}
	return rv, errors.New("watch ended")
}

func (t *combinedTracker) observe(u *unstructured.Unstructured, ev watch.EventType) {
	now := time.Now()
	o := u.GetLabels()[labelCSName]
	sum, count, ok := collectorTotals(u)
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case ev == watch.Deleted:
		if _, had := t.shown[o]; had {
			t.objects--
		}
		delete(t.shown, o)
		return
	case !ok:
		return
	}
	if _, had := t.shown[o]; !had {
		t.objects++
	}
	t.shown[o] = [2]float64{sum, count}
	p, pend := t.pending[o]
	if !pend || sum < float64(p.seq) {
		return
	}
	delete(t.pending, o)
	p.st.lags = append(p.st.lags, now.Sub(p.sent))
	if now.Before(p.st.landedBy) {
		p.st.inWindow++
	}
}

// collectorTotals adds up the sum and count columns over the rows (groups) of the bench's
// collector in a CombinedStatus.
func collectorTotals(u *unstructured.Unstructured) (sum, count float64, ok bool) {
	results, _, _ := unstructured.NestedSlice(u.Object, "results")
	for _, r := range results {
		res, _ := r.(map[string]any)
		if res[fieldName] != collectorName {
			continue
		}
		names, _, _ := unstructured.NestedStringSlice(res, "columnNames")
		rows, _, _ := unstructured.NestedSlice(res, "rows")
		for _, row := range rows {
			cols, _, _ := unstructured.NestedSlice(row.(map[string]any), "columns")
			for c, col := range cols {
				if c >= len(names) {
					break
				}
				f, _, _ := unstructured.NestedString(col.(map[string]any), "float")
				v, err := strconv.ParseFloat(f, 64)
				if err != nil {
					continue
				}
				switch names[c] {
				case sumColumn:
					sum += v
				case countColumn:
					count += v
				}
			}
		}
		return sum, count, true
	}
	return 0, 0, false
}

// combinedReport is one controller's combined-status phase.
type combinedReport struct {
	// sync is the time from the collector's creation to every object's CombinedStatus right.
	sync  time.Duration
	steps []stepResult
	// gone is how long after the collector's deletion the last CombinedStatus went (negative:
	// some were left after 30 s).
	gone time.Duration
	left int
}

// combined runs the combined-status phase against the running controller: the collector
// created, its first full sync, changes at rising rates, the collector deleted.
func (b *bench) combined(ctx context.Context, prefix string) (*combinedReport, error) {
	ct := b.ct
	if err := ct.readValues(ctx, b.its); err != nil {
		return nil, err
	}
	logf("%s: combined status: creating the StatusCollector", b.ctl)
	rep := &combinedReport{}
	start := time.Now()
	if err := createCollector(ctx, b.wds); err != nil {
		return nil, err
	}
	deadline := start.Add(10 * time.Minute)
	for ct.correct() < b.cfg.w.objects {
		if ctx.Err() != nil || time.Now().After(deadline) {
			return nil, fmt.Errorf("%s: combined status: %d of %d objects right after 10 minutes", b.ctl, ct.correct(),
				b.cfg.w.objects)
		}
		time.Sleep(50 * time.Millisecond)
	}
	rep.sync = time.Since(start)
	logf("%s: combined status: first full sync after %s", b.ctl, rep.sync.Round(time.Millisecond))
	s := b.newStream()
	for _, rate := range b.cfg.combinedRates {
		logf("%s: combined status: changes at %s", b.ctl, rateName(rate))
		step, _ := b.step(ctx, s, prefix+"combined", combining, rate, nil)
		rep.steps = append(rep.steps, step)
	}
	if err := deleteCollector(ctx, b.wds); err != nil {
		return nil, err
	}
	start, deadline = time.Now(), time.Now().Add(30*time.Second)
	for ct.count() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	rep.gone, rep.left = time.Since(start), ct.count()
	if rep.left > 0 {
		rep.gone = -1
	}
	return rep, nil
}
