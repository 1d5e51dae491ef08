package apps

// The API server's side of the operator's reads and writes: watch caches that lag behind the
// API, and writes with their preconditions (optimistic locks on resourceVersion, a UID on
// deletes) and their outcomes.

import (
	"fmt"
	"slices"
	"strings"
)

// keyed is an object a cache stores by name.
type keyed interface{ key() string }

// watchEvent is one change of an object as a watch delivers it: its new state, or its removal.
type watchEvent[T keyed] struct {
	obj  T
	gone bool
}

// watchCache is an informer's store: the objects it holds (sorted by name), and the events the
// API has sent that it has not applied yet, in order. Its slices are shared between the states
// that hold the same cache: they are never changed in place (deliver copies, and appends find
// no spare capacity).
type watchCache[T keyed] struct {
	objs  []T
	queue []watchEvent[T]
}

func (c watchCache[T]) clone() watchCache[T] {
	return watchCache[T]{objs: slices.Clip(c.objs), queue: slices.Clip(c.queue)}
}

// deliver applies the first n events of the queue.
func (c *watchCache[T]) deliver(n int) {
	c.objs = slices.Clone(c.objs)
	for _, ev := range c.queue[:n] {
		name := ev.obj.key()
		i, found := slices.BinarySearchFunc(c.objs, name, func(o T, k string) int { return cmpString(o.key(), k) })
		switch {
		case ev.gone && found:
			c.objs = slices.Delete(c.objs, i, i+1)
		case ev.gone:
		case found:
			c.objs[i] = ev.obj
		default:
			c.objs = slices.Insert(c.objs, i, ev.obj)
		}
	}
	c.queue = slices.Delete(slices.Clone(c.queue), 0, n)
	if len(c.queue) == 0 {
		c.queue = nil
	}
}

// writeOp is the kind of one write the operator sends.
type writeOp uint8

const (
	opSSAddFinalizer     writeOp = iota // merge patch of the StatefulSingleton's finalizers
	opSSStatus                          // merge patch of the status subresource
	opSSRemoveFinalizer                 // merge patch of the StatefulSingleton's finalizers
	opPodRelease                        // merge patch: the release annotation and the release finalizer
	opPodDelete                         // delete with a grace period
	opPodRemoveFinalizer                // merge patch of the pod's finalizers
	opPodReady                          // strategic merge patch of the pod's readiness condition
	opPodTrack                          // merge patch: the release finalizer on a pod that may run
	opPodHandBack                       // merge patch: the release finalizer goes, and the release when releaseUID is set
	opConsume                           // not an API write: the channel ledger consumes a pod's exit reports
	opPush                              // not an API write: the release pushed to the pod's gates (and remembered)
)

// apiWrite is one request the operator sends: a write to one object, by name, with its
// preconditions, and what the operator does when it fails.
type apiWrite struct {
	op   writeOp
	name string
	// rv, when not 0, is an optimistic lock: the write fails with a conflict unless the object
	// has this resourceVersion. chainRV: a write earlier in the same reconcile to the same
	// object returned a newer resourceVersion, which the operator's copy then holds: lock on
	// that one.
	rv      int
	chainRV bool
	// uid, when not 0, is a delete's UID precondition.
	uid   int
	grace int64
	// releaseUID is the value of the release annotation a release writes.
	releaseUID int
	status     ssStatus
	// What the operator does when the write fails so: go on with the next write (true), or
	// give up the rest of the reconcile.
	ignoreNotFound, ignoreConflict bool
	// stopsCandidate: a delete of the pod the same decision hands over to (its transition's To).
	stopsCandidate bool
}

// writeResult is what the API server answered.
type writeResult uint8

const (
	writeOK writeResult = iota
	writeNoop
	writeConflict
	writeNotFound
	writeForbidden
)

func (r writeResult) String() string {
	return [...]string{"ok", "no change", "conflict", "not found", "forbidden"}[r]
}

func (wr *apiWrite) String() string {
	switch wr.op {
	case opSSAddFinalizer:
		return "add hand-back finalizer to " + wr.name
	case opSSStatus:
		return "status of " + wr.name
	case opSSRemoveFinalizer:
		return "remove hand-back finalizer of " + wr.name
	case opPodRelease:
		return fmt.Sprintf("release %s (annotation %s, finalizer)", wr.name, podUID(wr.releaseUID))
	case opPodDelete:
		return fmt.Sprintf("delete %s/%s grace %ds", wr.name, podUID(wr.uid), wr.grace)
	case opPodRemoveFinalizer:
		return "remove release finalizer of " + wr.name
	case opPodReady:
		return "set readiness gate of " + wr.name
	case opPodTrack:
		return "add release finalizer to " + wr.name
	case opConsume:
		return fmt.Sprintf("consume the gate proof of %s/%s in the ledger", wr.name, podUID(wr.uid))
	case opPush:
		return fmt.Sprintf("push the release of %s/%s to its gates", wr.name, podUID(wr.uid))
	case opPodHandBack:
		if wr.releaseUID != 0 {
			return fmt.Sprintf("hand back %s (finalizer removed, annotation %s)", wr.name, podUID(wr.releaseUID))
		}
		return "hand back " + wr.name + " (finalizer removed)"
	}
	return "?"
}

// execute sends a reconcile's writes in order, until one fails in a way the operator does not
// ignore, or until limit writes were sent (limit < 0: all). It returns one line per write sent,
// whether the reconcile gave up, and the result of each write sent.
func (w *world) execute(writes []apiWrite, limit int, describe bool,
) (lines []string, aborted bool, results []writeResult) {
	chained := map[string]int{}
	for i := range writes {
		if limit >= 0 && i >= limit {
			break
		}
		wr := writes[i]
		if wr.chainRV {
			if rv, ok := chained[wr.name]; ok {
				wr.rv = rv
			}
		}
		res, rv := w.write(&wr)
		results = append(results, res)
		if res == writeOK && wr.op <= opSSRemoveFinalizer {
			chained[wr.name] = rv
		}
		failed := res == writeConflict && !wr.ignoreConflict || res == writeNotFound && !wr.ignoreNotFound ||
			res == writeForbidden
		if describe {
			line := wr.String() + ": " + res.String()
			if failed {
				line += " (the reconcile stops)"
			}
			lines = append(lines, line)
		}
		if failed {
			return lines, true, results
		}
	}
	return lines, false, results
}

// write carries out one write as the API server does, and returns its result and the
// object's new resourceVersion.
func (w *world) write(wr *apiWrite) (writeResult, int) {
	if wr.op <= opSSRemoveFinalizer {
		return w.writeSS(wr)
	}
	switch wr.op {
	case opConsume:
		return w.consume(wr), 0
	case opPush:
		w.push(wr.uid, false)
		return writeOK, 0
	}
	p := w.pod(wr.name)
	if p == nil {
		return writeNotFound, 0
	}
	if wr.rv != 0 && p.rv != wr.rv {
		return writeConflict, 0
	}
	switch wr.op {
	case opPodRelease:
		if p.deleting && !p.finalizer {
			return writeForbidden, 0 // no new finalizer on an object being deleted
		}
		if p.release != wr.releaseUID {
			p.releasedAt = w.seq
		}
		p.release, p.finalizer = wr.releaseUID, true
	case opPodDelete:
		if wr.uid != 0 && p.uid != wr.uid {
			return writeConflict, 0
		}
		if p.deleting && (p.graceDone || wr.grace > 0) {
			return writeNoop, p.rv
		}
		if wr.stopsCandidate && w.stoppedCandidate == "" {
			w.stoppedCandidate = p.String()
		}
		w.deletePod(p, wr.grace)
		return writeOK, 0
	case opPodRemoveFinalizer:
		if !p.finalizer {
			return writeNoop, p.rv
		}
		p.finalizer = false
		if p.deleting {
			p.stopConfirmed = p.uid
		}
		w.touchPod(p)
		w.finishPodDeletion(p.name)
		return writeOK, 0
	case opPodReady:
		if p.ready {
			return writeNoop, p.rv
		}
		p.ready = true
	case opPodTrack:
		if p.finalizer {
			return writeNoop, p.rv
		}
		if p.deleting {
			return writeForbidden, 0 // no new finalizer on an object being deleted
		}
		p.finalizer = true
	case opPodHandBack:
		if wr.releaseUID != 0 && p.release != wr.releaseUID {
			p.release, p.releasedAt = wr.releaseUID, w.seq
		}
		p.finalizer = false
		w.touchPod(p)
		w.finishPodDeletion(p.name)
		return writeOK, 0
	}
	w.touchPod(p)
	return writeOK, p.rv
}

func (w *world) writeSS(wr *apiWrite) (writeResult, int) {
	s := w.ss(wr.name)
	if s == nil {
		return writeNotFound, 0
	}
	if wr.rv != 0 && s.rv != wr.rv {
		return writeConflict, 0
	}
	switch wr.op {
	case opSSAddFinalizer:
		if s.deleting && !s.finalizer {
			return writeForbidden, 0
		}
		s.finalizer = true
	case opSSStatus:
		s.status = wr.status
	case opSSRemoveFinalizer:
		s.finalizer = false
		w.touchSS(s)
		rv := s.rv
		w.finishSSDeletion(s.name)
		return writeOK, rv
	}
	w.touchSS(s)
	return writeOK, s.rv
}

// describeWrites joins the lines of execute for a trace.
func describeWrites(lines []string, aborted bool, limit, total int) string {
	switch {
	case total == 0:
		return "writes nothing"
	case len(lines) == 0:
		return "sends none of its writes"
	}
	s := "writes: " + strings.Join(lines, "; ")
	if !aborted && limit >= 0 && limit < total {
		s += fmt.Sprintf("; %d more not sent", total-limit)
	}
	return s
}
