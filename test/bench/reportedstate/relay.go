package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
)

// relay is the least work any reported-state relay does for a change: it watches the
// WorkStatuses and merge-patches each one's collisionCount into the WDS Deployment it names,
// with `workers` goroutines (an object always on the same one), and nothing else: no caches, no
// Bindings, no decisions. Run with the operator stopped, under the same stream of changes, its
// saturation is the most changes per second this machine carries from the ITS to the WDS at
// all (the ITS write and its watch, the WDS write and its watches, both etcds, the driver): the
// physical limit of the pipeline, beside the trivial client's limit of the WDS alone.
type relay struct {
	ctx    context.Context
	cancel context.CancelFunc
	done   sync.WaitGroup
	errs   chan error
	// events, writes and failed count what it watched and wrote.
	events, writes, failed atomic.Int64
}

// startRelay starts the relay from the ITS's current state (it relays only what changes after).
func startRelay(ctx context.Context, wds, its *server, workers int) (*relay, error) {
	list, err := its.dyn.Resource(workStatusGVR).List(ctx, metav1.ListOptions{Limit: 1})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &relay{ctx: ctx, cancel: cancel, errs: make(chan error, workers+1)}
	queues := make([]chan *unstructured.Unstructured, workers)
	for i := range queues {
		queues[i] = make(chan *unstructured.Unstructured, 1024)
		r.done.Add(1)
		go r.work(ctx, wds, queues[i])
	}
	r.done.Add(1)
	go func() {
		defer r.done.Done()
		defer func() {
			for _, q := range queues {
				close(q)
			}
		}()
		rv := list.GetResourceVersion()
		for ctx.Err() == nil {
			// A watch ends now and then (the API server's timeout); the next resumes where it ended.
			rv = r.watchFrom(ctx, its, rv, queues)
		}
	}()
	return r, nil
}

// watchFrom watches the WorkStatuses from rv, queues each change to its object's worker, and
// returns the last resource version seen when the watch ends.
func (r *relay) watchFrom(ctx context.Context, its *server, rv string, queues []chan *unstructured.Unstructured,
) string {
	w, err := its.dyn.Resource(workStatusGVR).Watch(ctx, metav1.ListOptions{ResourceVersion: rv})
	if err != nil {
		r.report(fmt.Errorf("watch: %w", err))
		time.Sleep(100 * time.Millisecond)
		return rv
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		ws, ok := ev.Object.(*unstructured.Unstructured)
		if !ok {
			if st, ok := ev.Object.(*metav1.Status); ok {
				r.report(fmt.Errorf("watch: %s", st.Message))
			}
			continue
		}
		rv = ws.GetResourceVersion()
		if ev.Type != watch.Modified {
			continue
		}
		r.events.Add(1)
		name, _, _ := unstructured.NestedString(ws.Object, "spec", "sourceRef", "name")
		h := fnv.New32a()
		_, _ = h.Write([]byte(name))
		select {
		case queues[int(h.Sum32())%len(queues)] <- ws:
		case <-ctx.Done():
			return rv
		}
	}
	return rv
}

// report keeps an error for the report, unless the relay is stopping.
func (r *relay) report(err error) {
	if r.ctxDone() {
		return
	}
	select {
	case r.errs <- err:
	default:
	}
}

// work patches what it is given into the WDS.
func (r *relay) work(ctx context.Context, wds *server, q <-chan *unstructured.Unstructured) {
	defer r.done.Done()
	for ws := range q {
		ns, _, _ := unstructured.NestedString(ws.Object, "spec", "sourceRef", "namespace")
		name, _, _ := unstructured.NestedString(ws.Object, "spec", "sourceRef", "name")
		seq, found, _ := unstructured.NestedInt64(ws.Object, fieldStatus, fieldCollision)
		if !found {
			continue
		}
		raw, _ := jsonMarshal(map[string]any{fieldStatus: map[string]any{fieldCollision: seq}})
		_, err := wds.cs.AppsV1().Deployments(ns).Patch(ctx, name, types.MergePatchType, raw, metav1.PatchOptions{},
			"status")
		if err == nil {
			r.writes.Add(1)
		} else if ctx.Err() == nil {
			r.failed.Add(1)
			r.report(err)
		}
	}
}

// stop stops the relay and says what it did, with one of its errors, if any.
func (r *relay) stop() string {
	r.cancel()
	r.done.Wait()
	what := fmt.Sprintf("watched %d changes, wrote %d, %d writes failed", r.events.Load(), r.writes.Load(),
		r.failed.Load())
	select {
	case err := <-r.errs:
		return what + "; " + err.Error()
	default:
		return what
	}
}

func (r *relay) ctxDone() bool { return r.ctx.Err() != nil }
