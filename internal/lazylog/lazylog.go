// Package lazylog defers the work of a logger's key/value pairs until it writes a line.
//
// controller-runtime gives every reconcile a logger with the request's name and namespace and a
// reconcile ID, and a zap-backed logr.Logger encodes such pairs at once, into a copy of its
// encoder's buffer. Most reconciles write no line at the default level, so that work is wasted:
// under the reported-state benchmark's stream it was a fifteenth of what the operator allocated.
// A logger wrapped here keeps the pairs and hands them to the underlying sink only when a line is
// written (once per logger: the result is kept for its later lines).
//
// Values are read when the first line is written, not when they are added: a value that changes
// in between (a pointer to something modified) shows its later state. The values loggers are
// given here are strings, names and references that do not change.
package lazylog

import (
	"slices"
	"sync/atomic"

	"github.com/go-logr/logr"
)

// Wrap returns a logger that writes through l's sink and defers the key/value pairs added to it.
func Wrap(l logr.Logger) logr.Logger {
	base := l.GetSink()
	if base == nil {
		return l
	}
	if cd, ok := base.(logr.CallDepthLogSink); ok {
		base = cd.WithCallDepth(1) // the frame of sink's methods
	}
	return logr.New(&sink{base: base})
}

// sink is a LogSink whose WithValues only remembers the pairs; base has been given all the
// pairs of the loggers this one derives from but kv.
type sink struct {
	base logr.LogSink
	kv   []any
	// withValues is base with kv, once a line was written.
	withValues atomic.Pointer[logr.LogSink]
}

var (
	_ logr.LogSink          = &sink{}
	_ logr.CallDepthLogSink = &sink{}
)

// Init is called by logr.New; base was initialized by the logger it came from.
func (s *sink) Init(logr.RuntimeInfo) {}

func (s *sink) Enabled(level int) bool { return s.base.Enabled(level) }

func (s *sink) Info(level int, msg string, keysAndValues ...any) {
	s.resolved().Info(level, msg, keysAndValues...)
}

func (s *sink) Error(err error, msg string, keysAndValues ...any) {
	s.resolved().Error(err, msg, keysAndValues...)
}

// WithValues keeps the pairs: starting from what was resolved already, if anything was.
func (s *sink) WithValues(keysAndValues ...any) logr.LogSink {
	if r := s.withValues.Load(); r != nil {
		return &sink{base: *r, kv: slices.Clone(keysAndValues)} // the caller's slice is not kept
	}
	kv := make([]any, 0, len(s.kv)+len(keysAndValues))
	return &sink{base: s.base, kv: append(append(kv, s.kv...), keysAndValues...)}
}

// WithName names the base at once: a name does not depend on the order of names and pairs.
func (s *sink) WithName(name string) logr.LogSink {
	return &sink{base: s.base.WithName(name), kv: s.kv}
}

func (s *sink) WithCallDepth(depth int) logr.LogSink {
	cd, ok := s.base.(logr.CallDepthLogSink)
	if !ok {
		return s
	}
	return &sink{base: cd.WithCallDepth(depth), kv: s.kv}
}

// resolved is base with the pairs kept, made once.
func (s *sink) resolved() logr.LogSink {
	if len(s.kv) == 0 {
		return s.base
	}
	if r := s.withValues.Load(); r != nil {
		return *r
	}
	r := s.base.WithValues(s.kv...)
	s.withValues.CompareAndSwap(nil, &r)
	return *s.withValues.Load()
}
