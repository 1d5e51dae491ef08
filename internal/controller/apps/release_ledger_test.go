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
	r.ledger.add("gone", false)
	r.ledger.add("kept", true)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "db-0", UID: "gone"}}
	r.podGone(t.Context(), event.DeleteEvent{Object: pod}, nil)
	g.Expect(ledgerReleased(&r.ledger, "gone")).To(BeFalse())
	g.Expect(ledgerReleased(&r.ledger, "kept")).To(BeTrue())
	g.Expect(channel.gone).To(Equal([]types.UID{"gone"}))
}

func ledgerReleased(l *releaseLedger, uid types.UID) bool {
	r, _ := l.has(uid)
	return r
}

// The ledger says whether a release's annotation was written: a push before the patch leaves it
// unwritten until the patch returns, and a second push does not undo a write.
func TestReleaseLedgerWritten(t *testing.T) {
	g := NewWithT(t)
	var l releaseLedger
	l.add("a", false)
	released, written := l.has("a")
	g.Expect([]bool{released, written}).To(Equal([]bool{true, false}))
	l.add("a", true)
	l.add("a", false)
	released, written = l.has("a")
	g.Expect([]bool{released, written}).To(Equal([]bool{true, true}))
	released, written = l.has("b")
	g.Expect([]bool{released, written}).To(Equal([]bool{false, false}))
}
