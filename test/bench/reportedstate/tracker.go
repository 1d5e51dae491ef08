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
}

func newTracker(w workload) *tracker {
	return &tracker{w: w, objects: map[string]seen{}, pending: map[string]pending{}}
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

// correct counts the objects that show the reported state the operator should have written
// at the start: the home WEC's status (sequence 0) and the executing count.
func (t *tracker) correct() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for i := range t.w.objects {
		s := t.objects[t.w.object(i)]
		if s.hasStatus && s.collision == 0 && s.count == t.w.expectedCount(i) {
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
		s := t.objects[t.w.object(i)]
		if s.hasStatus && s.collision == 0 && s.count == t.w.expectedCount(i) {
			continue
		}
		limit--
		out += fmt.Sprintf(" %s(status=%t collision=%d count=%q want %s)", t.w.object(i), s.hasStatus, s.collision,
			s.count, strconv.Quote(t.w.expectedCount(i)))
	}
	return out
}
