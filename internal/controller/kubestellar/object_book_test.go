package kubestellar

import (
	"fmt"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/singleton-operator/singleton-operator/internal/summary"
)

var (
	bookA = objectRef{Group: "apps", Resource: "deployments", Namespace: "ns", Name: "a"}
	bookB = objectRef{Group: "apps", Resource: "deployments", Namespace: "ns", Name: "b"}
	t0    = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

// bookRun is one table row's book, and the pending report its last take step took.
type bookRun struct {
	b     *objectBook
	taken pendingReport
}

// bookStep is one thing that happens to the book, with what it is expected to answer.
type bookStep func(g Gomega, r *bookRun)

func mark(ref objectRef, at time.Time) bookStep {
	return func(_ Gomega, r *bookRun) { r.b.markPending(ref, at) }
}

// take takes the pending report of ref, expecting want (nil: none).
func take(ref objectRef, want *time.Time) bookStep {
	return func(g Gomega, r *bookRun) {
		r.taken = r.b.takePending(ref)
		g.Expect(r.taken.ok).To(Equal(want != nil), "a pending report")
		if want != nil {
			g.Expect(r.taken.at).To(Equal(*want))
		}
	}
}

func restore(ref objectRef) bookStep {
	return func(_ Gomega, r *bookRun) { r.b.restorePending(ref, r.taken) }
}

func decided(ref objectRef, version, mode string, wecs ...string) bookStep {
	return func(_ Gomega, r *bookRun) {
		health := make([]summary.Health, 0, len(wecs))
		for _, w := range wecs {
			health = append(health, summary.Health{WEC: w, Status: "Current"})
		}
		r.b.decided(ref, version, mode, health)
	}
}

func forget(ref objectRef) bookStep {
	return func(_ Gomega, r *bookRun) { r.b.forget(ref) }
}

// refuse records a refusal, expecting news to tell whether it is reported.
func refuse(ref objectRef, msg string, news bool) bookStep {
	return func(g Gomega, r *bookRun) { g.Expect(r.b.refuse(ref, msg)).To(Equal(news), "refusal %q news", msg) }
}

func accept(ref objectRef) bookStep {
	return func(_ Gomega, r *bookRun) { r.b.accept(ref) }
}

// write records a reconcile's writes of ref that produced versions.
func write(ref objectRef, versions ...string) bookStep {
	return func(_ Gomega, r *bookRun) {
		r.b.writing(ref)
		r.b.wrote(ref, versions)
	}
}

// updated expects an update of ref to version to be skipped as an echo, or not.
func updated(ref objectRef, version string, skipped bool) bookStep {
	return func(g Gomega, r *bookRun) {
		g.Expect(r.b.isEcho(ref, version)).To(Equal(skipped), "update to %s skipped", version)
	}
}

// counts expects the book's counts: singleton and multi-WEC objects, and objects per WEC.
func counts(singleton, multiWEC int, perWEC map[string]int) bookStep {
	return func(g Gomega, r *bookRun) {
		health := map[wecStatus]int{}
		for wec, n := range perWEC {
			health[wecStatus{WEC: wec, Status: "Current"}] = n
		}
		g.Expect(r.b.counts()).To(Equal(bookCounts{Singleton: singleton, MultiWEC: multiWEC, Health: health}))
	}
}

func TestObjectBook(t *testing.T) {
	at := func(s int) *time.Time { x := t0.Add(time.Duration(s) * time.Second); return &x }
	for _, tc := range []struct {
		name  string
		steps []bookStep
	}{
		{"the earliest WorkStatus change counts, and is taken once", []bookStep{
			mark(bookA, *at(2)), mark(bookA, *at(1)), mark(bookA, *at(3)), take(bookA, at(1)), take(bookA, nil),
		}},
		{"a report taken and not returned is put back", []bookStep{
			mark(bookA, *at(1)), take(bookA, at(1)), restore(bookA), take(bookA, at(1)),
		}},
		{"a later change noted while the reconcile ran gives way to the report put back", []bookStep{
			mark(bookA, *at(1)), take(bookA, at(1)), mark(bookA, *at(5)), restore(bookA), take(bookA, at(1)),
		}},
		{"an earlier change noted while the reconcile ran stays", []bookStep{
			mark(bookA, *at(5)), take(bookA, at(5)), mark(bookA, *at(1)), restore(bookA), take(bookA, at(1)),
		}},
		{"putting back nothing changes nothing", []bookStep{
			take(bookA, nil), restore(bookA), take(bookA, nil),
		}},
		{"pending reports are per object, and forgetting an object keeps its own", []bookStep{
			mark(bookA, *at(1)), mark(bookB, *at(2)), forget(bookA), take(bookB, at(2)), take(bookA, at(1)),
		}},
		{"decisions count objects by mode and by WEC", []bookStep{
			decided(bookA, "1", modeSingleton, "wec1"), decided(bookB, "1", modeMultiWEC, "wec1", "wec2"),
			counts(1, 1, map[string]int{"wec1": 2, "wec2": 1}),
			decided(bookB, "2", modeSingleton, "wec2"), counts(2, 0, map[string]int{"wec1": 1, "wec2": 1}),
		}},
		{"a decision of no mode, and forget, stop counting an object", []bookStep{
			decided(bookA, "1", modeSingleton, "wec1"), decided(bookB, "1", modeMultiWEC, "wec1", "wec2"),
			decided(bookA, "2", modeNone), counts(0, 1, map[string]int{"wec1": 1, "wec2": 1}),
			forget(bookB), counts(0, 0, map[string]int{}),
		}},
		{"a refusal is news once per object and message", []bookStep{
			refuse(bookA, "invalid", true), refuse(bookA, "invalid", false), refuse(bookB, "invalid", true),
			refuse(bookA, "other", true), refuse(bookA, "invalid", true),
		}},
		{"an accepted write, a decision of no mode and forget end a refusal; another decision does not",
			[]bookStep{
				refuse(bookA, "invalid", true), accept(bookA), refuse(bookA, "invalid", true),
				decided(bookA, "1", modeSingleton), refuse(bookA, "invalid", false),
				decided(bookA, "1", modeNone), refuse(bookA, "invalid", true),
				forget(bookA), refuse(bookA, "invalid", true),
			}},
		{"the echo of a write is skipped once", []bookStep{
			write(bookA, "2"), updated(bookA, "2", true), updated(bookA, "2", false),
		}},
		{"a decision from the written version keeps its echo skipped", []bookStep{
			write(bookA, "2"), decided(bookA, "2", modeSingleton), updated(bookA, "2", true),
		}},
		{"a decision from an older version lets the echo queue the object", []bookStep{
			write(bookA, "2"), decided(bookA, "1", modeSingleton), updated(bookA, "2", false),
		}},
		{"forget and a decision of no mode drop the echoes", []bookStep{
			write(bookA, "2"), forget(bookA), updated(bookA, "2", false),
			write(bookA, "3"), decided(bookA, "3", modeNone), updated(bookA, "3", false),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			r := &bookRun{b: newObjectBook()}
			for i, s := range tc.steps {
				s(g.ConfigureWithFailHandler(func(msg string, _ ...int) { t.Fatalf("step %d: %s", i, msg) }), r)
			}
		})
	}
}

// TestObjectBookConcurrent uses the book from several goroutines at once, as the object
// reconcilers and the watch handlers do; go test -race checks the locking.
func TestObjectBookConcurrent(t *testing.T) {
	g := NewWithT(t)
	b := newObjectBook()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ref := objectRef{Group: "apps", Resource: "deployments", Namespace: "ns", Name: fmt.Sprint(i)}
			for j := range 100 {
				v := fmt.Sprint(j)
				b.markPending(ref, t0)
				b.restorePending(ref, b.takePending(ref))
				b.decided(ref, v, modeSingleton, []summary.Health{{WEC: "wec1", Status: "Current"}})
				b.writing(ref)
				b.wrote(ref, []string{v + "w"})
				b.isEcho(ref, v+"w")
				b.refuse(ref, "invalid")
				b.accept(ref)
				b.counts()
			}
		})
	}
	wg.Wait()
	g.Expect(b.counts()).To(Equal(bookCounts{Singleton: 8, Health: map[wecStatus]int{{"wec1", "Current"}: 8}}))
}
