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
// int64, other numbers as float64), with its keys and short strings interned.
func decodeStatusJSON(raw []byte) (map[string]any, error) {
	p := &eventParser{b: raw, strings: &statusStrings}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	if p.err != nil {
		return nil, p.err
	}
	p.ws()
	if p.i < len(p.b) {
		return nil, p.syntaxErr("after the status")
	}
	m, ok := v.(map[string]any)
	if !ok && v != nil {
		return nil, errStatusNotJSONObject
	}
	return m, nil
}

// statusStrings holds one copy of each key, and of each short string value, of the decoded
// statuses: the same field names (conditions, lastTransitionTime, readyReplicas, ...) recur in
// every cached status, and so do most short values (True, Available, a condition's reason,
// often its timestamps).
var statusStrings = stringInterner{keys: map[string]string{}, values: map[string]any{}}

// Bounds of the interned strings: longer strings are not interned, and a full table starts
// again empty, so that statuses whose keys or values are data (timestamps, names) do not grow
// the tables without end nor keep them full of what no longer recurs. What a table held stays
// valid: it only no longer shares the next copies.
const (
	maxInterned         = 4096
	maxInternedKeyLen   = 64
	maxInternedValueLen = 32
)

// stringInterner returns one string for equal keys, and one boxed string for equal values
// (a string held in an interface is a pointer to its own header), up to its bounds.
type stringInterner struct {
	mu     sync.Mutex
	keys   map[string]string
	values map[string]any
}

// key returns the key b, the interned one when there is one.
func (t *stringInterner) key(b []byte) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.keys[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(b) <= maxInternedKeyLen {
		if len(t.keys) >= maxInterned {
			clear(t.keys)
		}
		t.keys[s] = s
	}
	return s
}

// value returns the string value b, boxed, the interned box when there is one.
func (t *stringInterner) value(b []byte) any {
	t.mu.Lock()
	defer t.mu.Unlock()
	if v, ok := t.values[string(b)]; ok {
		return v
	}
	s := string(b)
	var v any = s
	if len(b) <= maxInternedValueLen {
		if len(t.values) >= maxInterned {
			clear(t.values)
		}
		t.values[s] = v
	}
	return v
}
