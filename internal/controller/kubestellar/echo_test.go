package kubestellar

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestEchoes(t *testing.T) {
	ref := objectRef{Group: "apps", Resource: "deployments", Namespace: "ns", Name: "web"}
	// step is one thing that happens to the object: a reconcile decides from a version, starts
	// writing, ends writing with the versions its writes produced (requeue: whether the object
	// is to be queued again), or an update of a version is watched (skipped: not queued).
	type step struct {
		decided string
		start   bool
		wrote   []string
		end     bool
		requeue bool
		watched string
		skipped bool
	}
	write := func(versions ...string) []step {
		return []step{{start: true}, {end: true, wrote: versions}}
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"the echo of a write is skipped, once", concat(
			[]step{{decided: "1"}}, write("2"),
			[]step{{watched: "2", skipped: true}, {watched: "2", skipped: false}})},
		{"both writes of a reconcile (status, then labels) are echoes", concat(
			[]step{{decided: "1"}}, write("2", "3"),
			[]step{{watched: "2", skipped: true}, {watched: "3", skipped: true}})},
		{"an echo watched before the write's response is held, then judged an echo", []step{
			{decided: "1"}, {start: true}, {watched: "2", skipped: true}, {end: true, wrote: []string{"2", "3"}},
			{watched: "3", skipped: true}, {watched: "4", skipped: false},
		}},
		{"another writer's update watched during a write queues the object when the write ends", []step{
			{decided: "1"}, {start: true}, {watched: "5", skipped: true}, {end: true, wrote: []string{"6"}, requeue: true},
			{watched: "6", skipped: true},
		}},
		{"a write that failed: the updates held meanwhile queue the object", []step{
			{decided: "1"}, {start: true}, {watched: "5", skipped: true}, {end: true, requeue: true},
			{watched: "7", skipped: false},
		}},
		{"another writer's update is not an echo", concat(
			[]step{{decided: "1"}}, write("2"), []step{{watched: "5", skipped: false}})},
		{"a reconcile that decided from the written version keeps the echo skipped", concat(
			[]step{{decided: "1"}}, write("2"), []step{{decided: "2"}, {watched: "2", skipped: true}})},
		{"a reconcile that decided before the cache caught up: the echo queues the object", concat(
			[]step{{decided: "1"}}, write("2"), []step{{decided: "1"}, {watched: "2", skipped: false}})},
		{"a reconcile between a reconcile's two writes: the last echo queues the object", concat(
			[]step{{decided: "1"}}, write("2", "3"),
			[]step{{decided: "2"}, {watched: "2", skipped: false}, {watched: "3", skipped: false}})},
		{"a reconcile that writes nothing expects nothing", []step{
			{decided: "1"}, {watched: "2", skipped: false},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			e := echoes{}
			for i, s := range tc.steps {
				switch {
				case s.watched != "":
					g.Expect(e.isEcho(ref, s.watched)).To(Equal(s.skipped), "step %d: watched %s", i, s.watched)
				case s.start:
					e.writing(ref)
				case s.end:
					g.Expect(e.wrote(ref, s.wrote)).To(Equal(s.requeue), "step %d: requeue", i)
				default:
					e.decidedFrom(ref, s.decided)
				}
			}
		})
	}
}

func concat[T any](parts ...[]T) []T {
	var out []T
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
