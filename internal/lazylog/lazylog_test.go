package lazylog

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	. "github.com/onsi/gomega"
)

// counting is a sink that counts the pairs handed to it.
type counting struct {
	logr.LogSink
	withValues *int
}

// Init does nothing: the funcr sink was initialized by the logger it came from.
func (c counting) Init(logr.RuntimeInfo) {}

func (c counting) WithValues(kv ...any) logr.LogSink {
	*c.withValues++
	return counting{LogSink: c.LogSink.WithValues(kv...), withValues: c.withValues}
}

func (c counting) WithName(name string) logr.LogSink {
	return counting{LogSink: c.LogSink.WithName(name), withValues: c.withValues}
}

func (c counting) WithCallDepth(depth int) logr.LogSink {
	return counting{LogSink: c.LogSink.(logr.CallDepthLogSink).WithCallDepth(depth), withValues: c.withValues}
}

// newLogger is a funcr logger at verbosity 0 that writes its lines into lines and counts the
// pairs its sink is handed.
func newLogger(lines *[]string, withValues *int, opts funcr.Options) logr.Logger {
	base := funcr.New(func(prefix, args string) { *lines = append(*lines, prefix+" "+args) }, opts)
	return Wrap(logr.New(counting{LogSink: base.GetSink(), withValues: withValues}))
}

// TestLinesCarryThePairs: a line shows the logger's names and every pair added, in order, and
// its own; an error line too.
func TestLinesCarryThePairs(t *testing.T) {
	g := NewWithT(t)
	var lines []string
	var n int
	l := newLogger(&lines, &n, funcr.Options{})
	child := l.WithName("a").WithValues("k1", "v1").WithName("b").WithValues("k2", 2)
	child.Info("hello", "k3", true)
	child.WithValues("k4", "v4").Error(errors.New("boom"), "failed")
	g.Expect(lines).To(HaveLen(2))
	g.Expect(lines[0]).To(ContainSubstring(`a/b`))
	g.Expect(lines[0]).To(ContainSubstring(`"msg"="hello" "k1"="v1" "k2"=2 "k3"=true`))
	g.Expect(lines[1]).To(ContainSubstring(`"msg"="failed" "error"="boom" "k1"="v1" "k2"=2 "k4"="v4"`))
}

// TestPairsWaitForALine: pairs added to loggers that write nothing (or only below their
// verbosity) are never handed to the sink; a logger that writes hands them over once.
func TestPairsWaitForALine(t *testing.T) {
	g := NewWithT(t)
	var lines []string
	var n int
	l := newLogger(&lines, &n, funcr.Options{})
	for i := range 100 {
		r := l.WithValues("controller", "c", "name", i).WithValues("reconcileID", i)
		r.V(1).Info("not written at verbosity 0")
	}
	g.Expect(n).To(BeZero())
	g.Expect(lines).To(BeEmpty())
	r := l.WithValues("name", "x").WithValues("reconcileID", "y")
	r.Info("one")
	r.Info("two")
	g.Expect(n).To(Equal(1))
	g.Expect(lines).To(HaveLen(2))
	r.WithValues("more", 1).Info("three") // from the pairs handed over already
	g.Expect(n).To(Equal(2))
	g.Expect(lines[2]).To(ContainSubstring(`"name"="x" "reconcileID"="y" "more"=1`))
}

// TestCallerIsTheCaller: the caller a line reports is the code that logged it, not this package.
func TestCallerIsTheCaller(t *testing.T) {
	g := NewWithT(t)
	var lines []string
	var n int
	l := newLogger(&lines, &n, funcr.Options{LogCaller: funcr.All})
	l.WithValues("k", "v").Info("here")
	l.WithCallDepth(0).Error(errors.New("e"), "there")
	g.Expect(lines).To(HaveLen(2))
	for _, line := range lines {
		g.Expect(line).To(ContainSubstring(`"file"="lazylog_test.go"`))
		g.Expect(strings.Contains(line, "lazylog.go")).To(BeFalse(), line)
	}
}

// TestCallersSliceNotKept: a caller that reuses its slice of pairs after WithValues does not
// change what the logger writes later.
func TestCallersSliceNotKept(t *testing.T) {
	g := NewWithT(t)
	var lines []string
	var n int
	l := newLogger(&lines, &n, funcr.Options{})
	for _, base := range []logr.Logger{l, l.WithValues("first", 1)} {
		base.Info("resolved") // the second base hands its pairs over here
		kv := []any{"k", "before"}
		child := base.WithValues(kv...)
		kv[1] = "after"
		child.Info("line")
		g.Expect(lines[len(lines)-1]).To(ContainSubstring(`"k"="before"`))
	}
}
