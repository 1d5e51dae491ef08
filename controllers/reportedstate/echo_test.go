package reportedstate

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestEchoes(t *testing.T) {
	ref := objectRef{Group: "apps", Resource: "deployments", Namespace: "ns", Name: "web"}
	// step is one thing that happens to the object: a reconcile decides from a version and
	// writes some, or an update of a version is watched (isEcho tells whether it is skipped).
	type step struct {
		decided string
		wrote   []string
		watched string
		skipped bool
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"the echo of a write is skipped, once", []step{
			{decided: "1", wrote: []string{"2"}},
			{watched: "2", skipped: true},
			{watched: "2", skipped: false},
		}},
		{"both writes of a reconcile (status, then labels) are echoes", []step{
			{decided: "1", wrote: []string{"2", "3"}},
			{watched: "2", skipped: true},
			{watched: "3", skipped: true},
		}},
		{"another writer's update is not", []step{
			{decided: "1", wrote: []string{"2"}},
			{watched: "5", skipped: false},
		}},
		{"a reconcile that decided from the written version keeps the echo skipped", []step{
			{decided: "1", wrote: []string{"2"}},
			{decided: "2"},
			{watched: "2", skipped: true},
		}},
		{"a reconcile that decided before the cache caught up: the echo queues the object", []step{
			{decided: "1", wrote: []string{"2"}},
			{decided: "1"},
			{watched: "2", skipped: false},
		}},
		{"a reconcile between a reconcile's two writes: the last echo queues the object", []step{
			{decided: "1", wrote: []string{"2", "3"}},
			{decided: "2"},
			{watched: "2", skipped: false},
			{watched: "3", skipped: false},
		}},
		{"a reconcile that writes nothing records nothing", []step{
			{decided: "1"},
			{watched: "2", skipped: false},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			e := echoes{}
			for i, s := range tc.steps {
				if s.watched != "" {
					g.Expect(e.isEcho(ref, s.watched)).To(Equal(s.skipped), "step %d", i)
					continue
				}
				e.decidedFrom(ref, s.decided)
				e.wrote(ref, s.wrote)
			}
		})
	}
}
