package gatechannel

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

const pod = types.UID("pod-1")

func TestLedgerExitReports(t *testing.T) {
	g := NewWithT(t)
	l := NewLedger()
	l.Opened(pod, "app", 1)
	_, ok := l.Snapshot(pod).AllExited(pod, []string{"app"})
	g.Expect(ok).To(BeFalse(), "a session proves nothing")

	g.Expect(l.Exited(pod, "app", 1, 0, t0)).To(Equal(ReportRecorded))
	g.Expect(l.Exited(pod, "app", 1, 0, t0.Add(time.Second))).To(Equal(ReportDuplicate))
	at, ok := l.Snapshot(pod).AllExited(pod, []string{"app"})
	g.Expect(ok).To(BeTrue())
	g.Expect(at).To(Equal(t0), "a duplicate changes nothing")

	_, ok = l.Snapshot(pod).AllExited(pod, []string{"app", "log"})
	g.Expect(ok).To(BeFalse(), "a container that never reported")
	_, ok = l.Snapshot(pod).AllExited(pod, nil)
	g.Expect(ok).To(BeFalse(), "no container named proves nothing")
	_, ok = l.Snapshot().AllExited(pod, []string{"app"})
	g.Expect(ok).To(BeFalse(), "a pod left out of the snapshot")

	l.Opened(pod, "app", 2)
	_, ok = l.Snapshot(pod).AllExited(pod, []string{"app"})
	g.Expect(ok).To(BeFalse(), "a later start invalidates the earlier exit")
	g.Expect(l.Exited(pod, "app", 1, 0, t0)).To(Equal(ReportStale), "a late report of the earlier start")
	_, ok = l.Snapshot(pod).AllExited(pod, []string{"app"})
	g.Expect(ok).To(BeFalse())

	g.Expect(l.Exited(pod, "app", 3, 1, t0)).To(Equal(ReportRecorded), "a report names its start")
	rec := l.Snapshot(pod).Pods[pod].Containers["app"]
	g.Expect(rec).To(Equal(ContainerRecord{Start: 3, Exited: true, ExitedAt: t0, ExitCode: 1}))
}

func TestLedgerStartedVerdicts(t *testing.T) {
	tests := []struct {
		name     string
		consume  bool
		deleting bool
		want     bool
	}{
		{"a restart of a pod not being deleted", false, false, true},
		{"a pod being deleted", false, true, false},
		{"a consumed pod, forever", true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			l := NewLedger()
			g.Expect(l.Exited(pod, "app", 1, 0, t0)).To(Equal(ReportRecorded))
			if tt.consume {
				g.Expect(l.Consume(pod, l.Snapshot(pod).Version)).To(Succeed())
			}
			allowed, reason := l.Started(pod, "app", 2, tt.deleting)
			g.Expect(allowed).To(Equal(tt.want))
			if tt.want {
				g.Expect(reason).To(BeEmpty())
			} else {
				g.Expect(reason).NotTo(BeEmpty())
			}
			_, exited := l.Snapshot(pod).AllExited(pod, []string{"app"})
			g.Expect(exited).To(Equal(!tt.want), "an allowed start invalidates the exit report")
		})
	}
}

func TestLedgerConsume(t *testing.T) {
	g := NewWithT(t)
	l := NewLedger()
	l.Exited(pod, "app", 1, 0, t0)
	snap := l.Snapshot(pod)
	l.Exited("other", "app", 1, 0, t0)
	g.Expect(l.Consume(pod, snap.Version)).To(Succeed(), "another pod's news do not make a proof stale")
	g.Expect(l.Consumed(pod)).To(BeTrue())
	g.Expect(l.Snapshot(pod).Pods[pod].Consumed).To(BeTrue())

	l2 := NewLedger()
	l2.Exited(pod, "app", 1, 0, t0)
	snap = l2.Snapshot(pod)
	allowed, _ := l2.Started(pod, "app", 2, false)
	g.Expect(allowed).To(BeTrue())
	g.Expect(l2.Consume(pod, snap.Version)).To(MatchError(ErrStartedSince))
	g.Expect(l2.Consumed(pod)).To(BeFalse())
	again, _ := l2.Started(pod, "app", 3, false)
	g.Expect(again).To(BeTrue(), "a failed Consume refuses nothing")

	l2.Forget(pod)
	g.Expect(l2.Snapshot(pod).Pods).To(BeEmpty())
}
