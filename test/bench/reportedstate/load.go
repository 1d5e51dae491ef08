package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// stepKind is what the updates of a step change.
type stepKind int

const (
	// changing: each update changes an object's reported state (its home WorkStatus's status).
	changing stepKind = iota
	// unchanged: each update touches a WorkStatus without changing any object's reported state:
	// an annotation of the home WorkStatus, or the status of a WorkStatus that does not count
	// (a WEC that is not qualified for a singleton object, not the first for a multi-WEC one).
	unchanged
	// combining: each update changes the collisionCount of a WorkStatus that does not count for
	// the object's reported state, which its CombinedStatus sums (combined.go).
	combining
)

// stream writes WorkStatus updates into the ITS at a steady rate (0: as fast as its writers
// go), round-robin over the objects.
type stream struct {
	w       workload
	its     *server
	tr      *tracker
	ct      *combinedTracker
	writers int
	// singletonOnly: the changes go to the singleton objects only (odd ones), whose reported
	// state both controllers copy as it is; KubeStellar's multi-WEC summary of a Deployment
	// leaves out the field the changes write.
	singletonOnly bool
	seq           atomic.Int64
	cursor        atomic.Int64
	// busy holds the WorkStatuses (object x (WECs + 1) + WEC + 1) being written: a change skips
	// them, so that two writes of one WorkStatus never race and land out of order (the WDS would
	// keep the higher collisionCount of the two, and the lower one would never show).
	busy sync.Map
}

// take picks the next object of the round robin (and for combining the WEC k, else -1: the
// caller chooses) whose WorkStatus no writer is writing, and marks it busy until release.
func (s *stream) take(ctx context.Context, kind stepKind) (i, k int, release func()) {
	for ctx.Err() == nil {
		for range 2 * s.w.objects {
			c := int(s.cursor.Add(1) - 1)
			i, k = c%s.w.objects, -1
			if kind == combining {
				k = s.w.other(i, c/s.w.objects)
			} else if s.singletonOnly {
				i = 2*(c%(s.w.objects/2)) + 1
			}
			key := i*(s.w.wecs+1) + k + 1
			if _, taken := s.busy.LoadOrStore(key, true); !taken {
				return i, k, func() { s.busy.Delete(key) }
			}
		}
		time.Sleep(time.Millisecond)
	}
	return 0, 0, func() {}
}

// streamed is what one step of the stream did.
type streamed struct {
	sent     int
	failed   int
	sendTook time.Duration // how long the dispatch ran
	latency  []time.Duration
}

// run sends updates of kind for d at rate per second and returns what was sent; the tracker
// fills st.
func (s *stream) run(ctx context.Context, kind stepKind, rate float64, d time.Duration, st *stepStats) streamed {
	jobs := make(chan int64)
	var (
		mu  sync.Mutex
		out streamed
		wg  sync.WaitGroup
	)
	for range s.writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			failed := 0
			for n := range jobs {
				start := time.Now()
				if err := s.update(ctx, kind, n, st); err != nil {
					failed++
				}
				lat = append(lat, time.Since(start))
			}
			mu.Lock()
			out.latency = append(out.latency, lat...)
			out.failed += failed
			mu.Unlock()
		}()
	}
	start := time.Now()
	end := start.Add(d)
	st.landedBy = end
	for i := 0; ctx.Err() == nil; i++ {
		if rate > 0 {
			at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
			if !at.Before(end) {
				break
			}
			time.Sleep(time.Until(at))
		} else if !time.Now().Before(end) {
			break
		}
		jobs <- int64(i)
		out.sent++
	}
	out.sendTook = time.Since(start)
	close(jobs)
	wg.Wait()
	return out
}

// update writes the n-th update of a step.
func (s *stream) update(ctx context.Context, kind stepKind, n int64, st *stepStats) error {
	i, k, release := s.take(ctx, kind)
	defer release()
	if kind == combining {
		seq := s.seq.Add(1)
		s.ct.expect(i, k, seq, st)
		return patchStatus(ctx, s.its, s.w.wec(k), s.w.workStatusName(i), map[string]any{
			fieldStatus: map[string]any{fieldCollision: seq},
		})
	}
	seq := s.seq.Add(1)
	name := s.w.workStatusName(i)
	if kind == changing {
		s.tr.expect(s.w.object(i), seq, st)
		return patchStatus(ctx, s.its, s.w.wec(s.w.home(i)), name, map[string]any{
			fieldStatus: map[string]any{fieldCollision: seq},
		})
	}
	if n%2 == 0 {
		raw, _ := jsonMarshal(map[string]any{fieldMetadata: map[string]any{"annotations": map[string]any{
			"bench.statefulsingleton.com/touched": time.Now().Format(time.RFC3339Nano),
		}}})
		_, err := s.its.dyn.Resource(workStatusGVR).Namespace(s.w.wec(s.w.home(i))).Patch(ctx, name,
			types.MergePatchType, raw, metav1.PatchOptions{})
		return err
	}
	return patchStatus(ctx, s.its, s.w.wec(s.w.other(i, int(n))), name, map[string]any{
		fieldStatus: map[string]any{fieldCollision: seq},
	})
}

// baselineKind is how the trivial client writes.
type baselineKind string

const (
	// mergePatch: a JSON merge patch of one status field, the cheapest status write.
	mergePatch baselineKind = "merge patch of status"
	// applyStatus: a server-side apply of the whole status, the request the operator sends.
	applyStatus baselineKind = "server-side apply of status"
)

// baselineResult is how fast the WDS accepted status writes from the trivial client.
type baselineResult struct {
	kind        baselineKind
	concurrency int
	writes      int
	failed      int
	firstErr    error
	took        time.Duration
	latency     []time.Duration
}

func (b baselineResult) rate() float64 { return float64(b.writes) / b.took.Seconds() }

// baseline writes the status of the workload Deployments in the WDS, closed loop, with
// concurrency clients, for d: the most the WDS API server accepts on this machine.
func baseline(ctx context.Context, w workload, wds *server, namespace string, kind baselineKind, concurrency int,
	d time.Duration,
) baselineResult {
	var (
		seq, cursor atomic.Int64
		mu          sync.Mutex
		wg          sync.WaitGroup
	)
	res := baselineResult{kind: kind, concurrency: concurrency}
	deps := wds.cs.AppsV1().Deployments(namespace)
	end := time.Now().Add(d)
	start := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var firstErr error
			writes, failed := 0, 0
			for ctx.Err() == nil && time.Now().Before(end) {
				i := int(cursor.Add(1)-1) % w.objects
				n := seq.Add(1) + 1_000_000
				t0 := time.Now()
				var err error
				switch kind {
				case mergePatch:
					conds := baselineStatus(n)[fieldConditions]
					raw, _ := jsonMarshal(map[string]any{fieldStatus: map[string]any{fieldConditions: conds}})
					_, err = deps.Patch(ctx, w.object(i), types.MergePatchType, raw, metav1.PatchOptions{}, "status")
				case applyStatus:
					raw, _ := jsonMarshal(map[string]any{
						fieldAPIVersion: "apps/v1", fieldKind: "Deployment",
						fieldMetadata: map[string]any{fieldName: w.object(i), fieldNamespace: namespace},
						fieldStatus:   baselineStatus(n),
					})
					_, err = deps.Patch(ctx, w.object(i), types.ApplyPatchType, raw,
						metav1.PatchOptions{FieldManager: "bench-baseline", Force: ptr.To(true)}, "status")
				}
				lat = append(lat, time.Since(t0))
				if err != nil {
					failed++
					firstErr = cmp.Or(firstErr, err)
				} else {
					writes++
				}
			}
			mu.Lock()
			res.writes += writes
			res.failed += failed
			res.firstErr = cmp.Or(res.firstErr, firstErr)
			res.latency = append(res.latency, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.took = time.Since(start)
	return res
}

// baselineStatus is a WEC status whose Progressing message carries n, without collisionCount
// (the API server refuses to decrement it, and the operator writes it afterwards).
func baselineStatus(n int64) map[string]any {
	s := wecStatus(0)
	delete(s, "collisionCount")
	conds := s[fieldConditions].([]any)
	conds[1].(map[string]any)["message"] = fmt.Sprintf("bench write %d", n)
	return s
}

// percentile is the nearest-rank percentile p (0-100) of a sample.
func percentile(sample []time.Duration, p float64) time.Duration {
	if len(sample) == 0 {
		return 0
	}
	s := slices.Clone(sample)
	slices.Sort(s)
	i := int(p/100*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}
