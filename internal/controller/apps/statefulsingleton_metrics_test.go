package apps

import (
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// The metrics follow a whole hand-over as decideTransition records it, each observation once.
func TestRecordMetricsFollowsAHandover(t *testing.T) {
	g := NewWithT(t)
	ss := singleton(activePod("old"))
	ss.Namespace = "metrics-test"
	completed := func() float64 {
		return testutil.ToFloat64(transitionsTotal.WithLabelValues(ss.Namespace, ss.Name, resultCompleted))
	}
	gaps := func() uint64 { return sampleCount(t, handoverGap.WithLabelValues(ss.Namespace, ss.Name)) }
	durations := func() uint64 { return sampleCount(t, transitionDuration.WithLabelValues(ss.Namespace, ss.Name)) }
	completedBefore, gapsBefore, durationsBefore := completed(), gaps(), durations()
	step := func(pods []podFacts, at time.Time) {
		before := ss.Status.DeepCopy()
		plan := decide(ss, pods, at)
		recordMetrics(ss, before, &plan.Status, &plan)
		ss.Status = plan.Status
	}
	inProgress := func() float64 {
		return testutil.ToFloat64(transitionsInProgress.WithLabelValues(ss.Namespace, ss.Name))
	}

	start := t0.Add(time.Minute)
	step([]podFacts{fact("old", 0, released, readyGate), fact("new", 50), fact("escaped", 5, unguarded)}, start)
	g.Expect(inProgress()).To(Equal(1.0))
	g.Expect(testutil.ToFloat64(heldPods.WithLabelValues(ss.Namespace, ss.Name))).To(Equal(1.0))
	g.Expect(testutil.ToFloat64(unguardedPods.WithLabelValues(ss.Namespace, ss.Name))).To(Equal(1.0))
	overdue := func() float64 {
		return testutil.ToFloat64(transitionOverdue.WithLabelValues(ss.Namespace, ss.Name))
	}
	g.Expect(overdue()).To(Equal(0.0))

	// The old pod takes longer than maxTransitionTime (300 s) to stop: overdue, until it has.
	oldStopping := start.Add(301 * time.Second)
	escapedGone := fact("escaped", 5, unguarded, deleting, stopped("PodFinished", start))
	step([]podFacts{fact("old", 0, released, readyGate, deleting), fact("new", 50), escapedGone}, oldStopping)
	g.Expect(overdue()).To(Equal(1.0), "the transition started at %s and is still going", start)

	oldStopped := oldStopping.Add(time.Second)
	step([]podFacts{fact("old", 0, released, readyGate, deleting, stopped("PodFinished", oldStopped)), fact("new", 50)},
		oldStopped.Add(100*time.Millisecond))
	g.Expect(gaps()).To(Equal(gapsBefore+1), "the release observed its gap, on its StatefulSingleton's series")
	g.Expect(ss.Status.CurrentTransition.HandoverGap).To(Equal(&metav1.Duration{Duration: 100 * time.Millisecond}))
	// The release's annotation was not written (a pod write of that reconcile conflicted after
	// its status write): the next decision releases the pod again, and the gap, recorded with
	// the status, is not observed twice.
	step([]podFacts{fact("old", 0, released, readyGate, deleting, stopped("PodFinished", oldStopped)),
		fact("new", 50, func(p *podFacts) { p.Released = true })}, oldStopped.Add(200*time.Millisecond))
	g.Expect(gaps()).To(Equal(gapsBefore+1), "one release, one gap")

	ready := oldStopped.Add(300 * time.Millisecond)
	step([]podFacts{fact("new", 50, released, readyGate)}, ready)
	step([]podFacts{fact("new", 50, released, readyGate)}, ready.Add(time.Second))
	g.Expect(completed()).To(Equal(completedBefore+1),
		"a completed transition is counted once, however often it is seen")
	g.Expect(durations()).To(Equal(durationsBefore + 1))
	g.Expect(inProgress()).To(Equal(0.0))
	g.Expect(overdue()).To(Equal(0.0), "a completed transition is not overdue")
	g.Expect(testutil.ToFloat64(unguardedPods.WithLabelValues(ss.Namespace, ss.Name))).To(Equal(0.0))
	object := map[string]string{"namespace": ss.Namespace, "name": ss.Name}
	g.Expect(seriesOf(t, statusPhase, object)).To(Equal(map[string]float64{
		"phase=Failed": 0, "phase=Pending": 0, "phase=Running": 1, "phase=Transitioning": 0,
	}), "the phase gauge is 1 for the status's phase only")
	g.Expect(seriesOf(t, statusCondition, object)).To(HaveKeyWithValue("status=True,type=Ready", 1.0))
	g.Expect(seriesOf(t, statusCondition, object)).To(HaveKeyWithValue("status=False,type=Ready", 0.0))
	g.Expect(seriesOf(t, statusCondition, object)).To(HaveLen(3*len(ss.Status.Conditions)),
		"a series for each status of each condition the status has")

	forgetMetrics(ss.Namespace, ss.Name)
	for _, c := range []prometheus.Collector{heldPods, transitionsTotal, handoverGap, transitionDuration,
		statusCondition, statusPhase} {
		g.Expect(testutil.CollectAndCount(c)).To(BeZero(), "a deleted StatefulSingleton leaves no series")
	}
	g.Expect(ss.Status.Phase).To(Equal(singletonv1.PhaseRunning))
}

// seriesOf collects the series of c whose labels include match, by their other labels
// ("k=v,k=v", sorted by name).
func seriesOf(t *testing.T, c prometheus.Collector, match map[string]string) map[string]float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 64)
	go func() { c.Collect(ch); close(ch) }()
	out := map[string]float64{}
	for m := range ch {
		d := &dto.Metric{}
		if err := m.Write(d); err != nil {
			t.Fatal(err)
		}
		var rest []string
		matched := 0
		for _, l := range d.GetLabel() {
			if v, ok := match[l.GetName()]; ok {
				if v == l.GetValue() {
					matched++
				}
				continue
			}
			rest = append(rest, l.GetName()+"="+l.GetValue())
		}
		if matched == len(match) {
			out[strings.Join(rest, ",")] = d.GetGauge().GetValue()
		}
	}
	return out
}

// sampleCount reads how many observations a histogram holds.
func sampleCount(t *testing.T, o prometheus.Observer) uint64 {
	t.Helper()
	m := &dto.Metric{}
	if err := o.(prometheus.Metric).Write(m); err != nil {
		t.Fatalf("reading histogram: %v", err)
	}
	return m.GetHistogram().GetSampleCount()
}
