package apps

import (
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/statemetrics"
)

// Transition results, the values of the result label.
const (
	resultCompleted = "completed"
	resultForced    = "forced"
)

// The labels of the per-StatefulSingleton series: every one of them carries its
// StatefulSingleton, so that a slow hand-over or a forced release is seen, and alerted on, per
// object (a few hundred StatefulSingletons make a few thousand histogram series).
var singletonLabels = []string{"namespace", "name"}

// Buckets from 10 ms to about 10 minutes: hand-overs take from a tenth of a second to the
// longest grace periods users set.
var transitionBuckets = prometheus.ExponentialBucketsRange(0.01, 600, 16)

var (
	transitionDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "statefulsingleton_transition_duration_seconds",
		Help:    "Time from the start of a transition (a newer pod waits) to the new pod being ready.",
		Buckets: transitionBuckets,
	}, singletonLabels)
	handoverGap = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "statefulsingleton_handover_gap_seconds",
		Help:    "Time from the old application confirmed stopped to the new pod's release.",
		Buckets: transitionBuckets,
	}, singletonLabels)
	transitionsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "statefulsingleton_transitions_total",
		Help: "Completed transitions, by result: completed, or forced (released after maxTransitionTime).",
	}, append(slices.Clone(singletonLabels), "result"))
	transitionsInProgress = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "statefulsingleton_transitions_in_progress",
		Help: "1 while a StatefulSingleton has a transition in progress, else 0.",
	}, singletonLabels)
	heldPods = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "statefulsingleton_held_pods",
		Help: "Selected pods whose application waits for a release.",
	}, singletonLabels)
	unguardedPods = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "statefulsingleton_unguarded_pods",
		Help: "Selected pods that escaped the webhook and may run beside the others.",
	}, singletonLabels)
	podsMayRun = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "statefulsingleton_pods_may_run",
		Help: "Pods that may run the application (released, unguarded, or gone before their stop was confirmed); " +
			"more than 1 breaks the guarantee.",
	}, singletonLabels)
	gateProofsUsed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "statefulsingleton_gate_stop_proofs_total",
		Help: "Pods confirmed stopped by their gates' exit reports (the fast path, S6), counted once per pod.",
	})
	transitionOverdue = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "statefulsingleton_transition_overdue",
		Help: "1 while the transition in progress has taken longer than maxTransitionTime, else 0.",
	}, singletonLabels)
	// The status of each StatefulSingleton as kube-state-metrics shapes built-in ones.
	statusCondition = statemetrics.NewConditions("statefulsingleton_status_condition",
		"The conditions of a StatefulSingleton: 1 for the status (True, False, Unknown) each condition type has, else 0.")
	statusPhase = statemetrics.NewPhase("statefulsingleton_status_phase",
		"The phase of a StatefulSingleton: 1 for its current phase, else 0.",
		string(singletonv1.PhasePending), string(singletonv1.PhaseRunning), string(singletonv1.PhaseTransitioning),
		string(singletonv1.PhaseFailed))
)

func init() {
	metrics.Registry.MustRegister(transitionDuration, handoverGap, transitionsTotal, transitionsInProgress,
		heldPods, unguardedPods, podsMayRun, transitionOverdue, gateProofsUsed, statusCondition, statusPhase)
}

// recordMetrics observes what changed between the status before a decision and the one
// recorded after it (Reconcile calls it once the status is written, whatever happens to the
// pod writes that follow): a release with its gap, a completed transition with its duration,
// and the gauges of the StatefulSingleton. A release is observed once, when the status first
// records its release time: a release written again by a later decision is not observed again.
func recordMetrics(ss *singletonv1.StatefulSingleton, before, after *singletonv1.StatefulSingletonStatus,
	plan *transitionPlan,
) {
	if t := releasedNow(before, after); t != nil && t.HandoverGap != nil {
		handoverGap.WithLabelValues(ss.Namespace, ss.Name).Observe(t.HandoverGap.Seconds())
	}
	if done := after.LastTransition; done != nil && !sameTransition(before.LastTransition, done) {
		if done.Duration != nil {
			transitionDuration.WithLabelValues(ss.Namespace, ss.Name).Observe(done.Duration.Seconds())
		}
		result := resultCompleted
		if done.Forced {
			result = resultForced
		}
		transitionsTotal.WithLabelValues(ss.Namespace, ss.Name, result).Inc()
	}
	transitionsInProgress.WithLabelValues(ss.Namespace, ss.Name).Set(boolGauge(after.CurrentTransition != nil))
	heldPods.WithLabelValues(ss.Namespace, ss.Name).Set(float64(after.HeldPods))
	unguardedPods.WithLabelValues(ss.Namespace, ss.Name).Set(float64(plan.Unguarded))
	podsMayRun.WithLabelValues(ss.Namespace, ss.Name).Set(float64(plan.MayRun))
	transitionOverdue.WithLabelValues(ss.Namespace, ss.Name).Set(boolGauge(plan.Overdue))
	statusCondition.Set(ss.Namespace, ss.Name, after.Conditions)
	statusPhase.Set(ss.Namespace, ss.Name, string(after.Phase))
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// forgetMetrics drops the series of a deleted StatefulSingleton.
func forgetMetrics(namespace, name string) {
	gauges := []*prometheus.GaugeVec{transitionsInProgress, heldPods, unguardedPods, podsMayRun, transitionOverdue}
	for _, g := range gauges {
		g.DeleteLabelValues(namespace, name)
	}
	transitionDuration.DeleteLabelValues(namespace, name)
	handoverGap.DeleteLabelValues(namespace, name)
	transitionsTotal.DeletePartialMatch(prometheus.Labels{"namespace": namespace, "name": name})
	statusCondition.Forget(namespace, name)
	statusPhase.Forget(namespace, name)
}

// releasedNow returns the transition whose release time the status after a decision records and
// the status before did not, or nil.
func releasedNow(before, after *singletonv1.StatefulSingletonStatus) *singletonv1.TransitionRecord {
	for _, t := range []*singletonv1.TransitionRecord{after.CurrentTransition, after.LastTransition} {
		if t == nil || t.ReleaseTime == nil {
			continue
		}
		for _, b := range []*singletonv1.TransitionRecord{before.CurrentTransition, before.LastTransition} {
			if b != nil && b.To == t.To && b.ReleaseTime.Equal(t.ReleaseTime) {
				return nil
			}
		}
		return t
	}
	return nil
}

func sameTransition(a, b *singletonv1.TransitionRecord) bool {
	return a != nil && b != nil && a.To == b.To && a.CompletionTime.Equal(b.CompletionTime)
}
