package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
)

var jsonMarshal = json.Marshal

// seen is what the WDS watch last showed of one Deployment.
type seen struct {
	hasStatus bool
	collision int64
	count     string
}

// pending is a change written into the ITS and not yet seen in the WDS.
type pending struct {
	seq  int64
	sent time.Time
	st   *stepStats
}

// stepStats is what the watch observed for the changes of one step.
type stepStats struct {
	lags       []time.Duration
	landedBy   time.Time // end of the step's window
	inWindow   int       // changes seen before landedBy
	superseded int       // changes overtaken by a newer change of the same object
}

// tracker follows every workload Deployment in the WDS through a watch of its own (the
// driver's view: what a user's kubectl would see), matches the changes the driver made in the
// ITS to the moment the WDS shows them, and counts the WDS's modification events.
type tracker struct {
	w  workload
	mu sync.Mutex
	// objects by name.
	objects map[string]seen
	pending map[string]pending
	// events counts MODIFIED events of workload Deployments (each is one effective write).
	events int64
	// last is, by object, the sequence number of the last change the driver wrote: the value
	// the object should show once every change landed.
	last map[string]int64
	// cleared counts the times an object that showed a status was seen without one.
	cleared int64
	// ignoreCount: the controller does not write the executing-count label (KubeStellar v0.30).
	ignoreCount bool
}

func newTracker(w workload) *tracker {
	return &tracker{w: w, objects: map[string]seen{}, pending: map[string]pending{}, last: map[string]int64{}}
}

// run lists and watches the workload Deployments until ctx ends, resuming after watch ends.
func (t *tracker) run(ctx context.Context, wds *server, synced chan<- struct{}) {
	deps := wds.cs.AppsV1().Deployments(workloadNS)
	for ctx.Err() == nil {
		list, err := deps.List(ctx, metav1.ListOptions{})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			time.Sleep(time.Second)
			continue
		}
		for i := range list.Items {
			t.observe(&list.Items[i], false)
		}
		if synced != nil {
			close(synced)
			synced = nil
		}
		rv := list.ResourceVersion
		for ctx.Err() == nil {
			rv, err = t.watchFrom(ctx, wds, rv)
			if apierrors.IsGone(err) || apierrors.IsResourceExpired(err) {
				break // relist
			}
		}
	}
}

// watchFrom watches from rv until the watch ends; it returns the last resource version seen.
func (t *tracker) watchFrom(ctx context.Context, wds *server, rv string) (string, error) {
	wi, err := wds.cs.AppsV1().Deployments(workloadNS).Watch(ctx, metav1.ListOptions{
		ResourceVersion: rv, AllowWatchBookmarks: true,
	})
	if err != nil {
		time.Sleep(200 * time.Millisecond)
		return rv, err
	}
	defer wi.Stop()
	for ev := range wi.ResultChan() {
		switch ev.Type {
		case watch.Error:
			return rv, apierrors.FromObject(ev.Object)
		case watch.Added, watch.Modified, watch.Bookmark:
			d, ok := ev.Object.(*appsv1.Deployment)
			if !ok {
				continue
			}
			rv = d.ResourceVersion
			if ev.Type != watch.Bookmark {
				t.observe(d, ev.Type == watch.Modified)
			}
		}
	}
	return rv, errors.New("watch ended")
}

func (t *tracker) observe(d *appsv1.Deployment, modified bool) {
	now := time.Now()
	s := seen{count: d.Labels[labelCount]}
	if d.Status.ObservedGeneration != 0 || d.Status.Replicas != 0 {
		s.hasStatus = true
		if d.Status.CollisionCount != nil {
			s.collision = int64(*d.Status.CollisionCount)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.objects[d.Name]; ok && old.hasStatus && !s.hasStatus {
		t.cleared++
	}
	t.objects[d.Name] = s
	if modified {
		t.events++
	}
	p, ok := t.pending[d.Name]
	if !ok || !s.hasStatus || s.collision < p.seq {
		return
	}
	delete(t.pending, d.Name)
	p.st.lags = append(p.st.lags, now.Sub(p.sent))
	if now.Before(p.st.landedBy) {
		p.st.inWindow++
	}
}

// expect records a change the driver is about to write.
func (t *tracker) expect(object string, seq int64, st *stepStats) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.pending[object]; ok {
		old.st.superseded++
	}
	t.pending[object] = pending{seq: seq, sent: time.Now(), st: st}
	t.last[object] = max(t.last[object], seq)
}

// readLast sets, for every object, the sequence number it should show to what its home
// WorkStatus holds now (concurrent writers of one object may land out of order, so the last
// change sent is not always the last one written). Called while nothing writes.
func (t *tracker) readLast(ctx context.Context, its *server) error {
	last := map[string]int64{}
	for k := range t.w.wecs {
		list, err := its.dyn.Resource(workStatusGVR).Namespace(t.w.wec(k)).List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		for _, ws := range list.Items {
			obj, _, _ := unstructured.NestedString(ws.Object, "spec", "sourceRef", fieldName)
			i := 0
			if _, err := fmt.Sscanf(obj, "d-%d", &i); err != nil || t.w.home(i) != k {
				continue
			}
			seq, _, _ := unstructured.NestedInt64(ws.Object, fieldStatus, fieldCollision)
			last[obj] = seq
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last = last
	return nil
}

// withStatus counts the objects that show a status.
func (t *tracker) withStatus() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, s := range t.objects {
		if s.hasStatus {
			n++
		}
	}
	return n
}

// setIgnoreCount says whether correct ignores the executing-count label.
func (t *tracker) setIgnoreCount(v bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ignoreCount = v
}

// clearedCount is how many times an object lost its status so far.
func (t *tracker) clearedCount() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cleared
}

// right says whether object i shows the reported state it should: the last change's sequence
// (0 before any; or more: when two writers of one object land out of order in the ITS, the
// WDS keeps the higher collisionCount, which its API server never lets decrease) and, unless
// ignored, the executing count.
func (t *tracker) right(i int) (seen, bool) {
	s := t.objects[t.w.object(i)]
	return s, s.hasStatus && s.collision >= t.last[t.w.object(i)] &&
		(t.ignoreCount || s.count == t.w.expectedCount(i))
}

// outstanding counts the changes not seen yet.
func (t *tracker) outstanding() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pending)
}

// forget drops the changes not seen yet, and returns how many there were.
func (t *tracker) forget() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(t.pending)
	clear(t.pending)
	return n
}

func (t *tracker) modifications() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.events
}

// correct counts the objects that show the reported state they should (right).
func (t *tracker) correct() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for i := range t.w.objects {
		if _, ok := t.right(i); ok {
			n++
		}
	}
	return n
}

// describe says what is wrong with the first few objects that are not right.
func (t *tracker) describe(limit int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := ""
	for i := 0; i < t.w.objects && limit > 0; i++ {
		s, ok := t.right(i)
		if ok {
			continue
		}
		limit--
		out += fmt.Sprintf(" %s(status=%t collision=%d want %d, count=%q want %s)", t.w.object(i), s.hasStatus,
			s.collision, t.last[t.w.object(i)], s.count, strconv.Quote(t.w.expectedCount(i)))
	}
	return out
}
