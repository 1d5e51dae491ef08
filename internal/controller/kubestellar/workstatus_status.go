package kubestellar

import (
	"errors"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
)

// A cached WorkStatus's status is decoded once, by the first reconcile that reads it, rather
// than by every reconcile that reads it: the object reconcile reads the statuses of all the
// qualified WECs of an object, the combined-status reconcile those of every WEC the object is
// sent to, each time one of them changes. The cache's transform moves the status's bytes into a
// reportedStatus, which the cache's copies of the WorkStatus share (they are shallow: its deep
// copies are disabled); the first read decodes them and keeps the map in their place. A status
// no reconcile reads (an unqualified WEC's) stays bytes, which are smaller.
//
// The map is shared by every reader: nothing may modify it. Its readers (decide, the
// summaries, kstatus, the StatusCollectors' evaluation) only read it;
// TestReportedStatusesAreNotModified holds them to that.

// reportedStatus is a cached WorkStatus's status: its bytes until the first read, then the
// map decoded from them.
type reportedStatus struct {
	once sync.Once
	raw  []byte
	m    map[string]any
	ok   bool
}

// newReportedStatus holds the status bytes raw, which it takes.
func newReportedStatus(raw []byte) *reportedStatus { return &reportedStatus{raw: raw} }

// get decodes the status on the first call; ok is false when it does not decode.
func (s *reportedStatus) get() (map[string]any, bool) {
	s.once.Do(func() {
		m, err := decodeStatusJSON(s.raw)
		s.m, s.ok, s.raw = m, err == nil, nil
	})
	return s.m, s.ok
}

// deepCopy is an independent copy, decoded.
func (s *reportedStatus) deepCopy() *reportedStatus {
	m, ok := s.get()
	out := &reportedStatus{ok: ok}
	if m != nil {
		out.m = runtime.DeepCopyJSON(m)
	}
	out.once.Do(func() {})
	return out
}

// holdStatus moves the status of a WorkStatus entering the cache into a reportedStatus. A
// status that validateWorkStatus refuses stays, for it to say why.
func (w *WorkStatus) holdStatus(maxBytes int) {
	if w.Status == nil || len(w.Status.Raw) == 0 || validateStatusBytes(w.Status.Raw, maxBytes) != nil {
		return
	}
	w.reported, w.Status = newReportedStatus(w.Status.Raw), nil
}

// statusMap is the WorkStatus's status as the reports read it (nil when the WEC reported
// none); ok is false when it does not decode. Read only: it may be the cache's.
func (w *WorkStatus) statusMap() (status map[string]any, ok bool) {
	if w.reported != nil {
		return w.reported.get()
	}
	if w.Status == nil || len(w.Status.Raw) == 0 {
		return nil, true
	}
	status, err := decodeStatusJSON(w.Status.Raw)
	return status, err == nil
}

var errStatusNotJSONObject = errors.New("status is not a JSON object")

// decodeStatusJSON decodes a status as k8s.io/apimachinery/pkg/util/json.Unmarshal decodes it
// into a map (the WDS watches' one-pass parser, which agrees with that decode; integers as
// int64, other numbers as float64), with its keys interned.
func decodeStatusJSON(raw []byte) (map[string]any, error) {
	p := &eventParser{b: raw, keys: &statusKeys}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	if p.err != nil {
		return nil, p.err
	}
	if p.peek() != 0 {
		return nil, p.syntaxErr("after the status")
	}
	m, ok := v.(map[string]any)
	if !ok && v != nil {
		return nil, errStatusNotJSONObject
	}
	return m, nil
}

// statusKeys holds one copy of each key of the decoded statuses: the same few field names
// (conditions, lastTransitionTime, readyReplicas, ...) recur in every cached status.
var statusKeys = keyInterner{m: map[string]string{}}

// Bounds of the interned keys: keys past them are not interned (statuses whose keys are data,
// say, do not grow the table without end).
const (
	maxInternedKeys   = 4096
	maxInternedKeyLen = 64
)

// keyInterner returns one string for equal keys, up to its bounds.
type keyInterner struct {
	mu sync.Mutex
	m  map[string]string
}

// intern returns the key b, the interned one when there is one.
func (k *keyInterner) intern(b []byte) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	if s, ok := k.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(k.m) < maxInternedKeys && len(b) <= maxInternedKeyLen {
		k.m[s] = s
	}
	return s
}
