package apps

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

// goneRecorder is the gate channel as the reconciler sees it: the pods it was told are gone.
type goneRecorder struct{ gone []types.UID }

func (g *goneRecorder) Released(types.UID) {}
func (g *goneRecorder) Gone(uid types.UID) { g.gone = append(g.gone, uid) }

// A release pushed whose annotation never reached the cache (the patch failed, or the pod was
// deleted first) is forgotten when the pod's deletion is seen, here and in the channel, instead
// of staying in memory for ever; the other pods' releases stay.
func TestPodGoneForgetsItsRelease(t *testing.T) {
	g := NewWithT(t)
	channel := &goneRecorder{}
	r := &StatefulSingletonReconciler{Releases: channel}
	r.ledger.add("gone", false, false)
	r.ledger.add("kept", true, false)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "db-0", UID: "gone"}}
	r.podGone(t.Context(), event.DeleteEvent{Object: pod}, nil)
	g.Expect(ledgerReleased(&r.ledger, "gone")).To(BeFalse())
	g.Expect(ledgerReleased(&r.ledger, "kept")).To(BeTrue())
	g.Expect(channel.gone).To(Equal([]types.UID{"gone"}))
}

func ledgerReleased(l *releaseLedger, uid types.UID) bool {
	_, released := l.has(uid)
	return released
}

// The ledger says whether a release's annotation was written and whether it was forced: a push
// before the patch leaves it unwritten until the patch returns, and a later push undoes neither.
func TestReleaseLedgerWritten(t *testing.T) {
	g := NewWithT(t)
	var l releaseLedger
	l.add("a", false, true)
	e, released := l.has("a")
	g.Expect(released).To(BeTrue())
	g.Expect(e).To(Equal(pushedRelease{Forced: true}))
	l.add("a", true, false)
	l.add("a", false, false)
	e, released = l.has("a")
	g.Expect(released).To(BeTrue())
	g.Expect(e).To(Equal(pushedRelease{Written: true, Forced: true}))
	_, released = l.has("b")
	g.Expect(released).To(BeFalse())
}
