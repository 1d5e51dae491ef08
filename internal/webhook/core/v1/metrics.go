package v1

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// The results of an admission, the values of the result label.
const (
	// resultPrepared: a StatefulSingleton selects the pod, which was prepared (gate injected).
	resultPrepared = "prepared"
	// resultUnselected: no StatefulSingleton selects the pod, admitted unchanged.
	resultUnselected = "unselected"
	// resultAlreadyPrepared: the pod was prepared by an earlier call (the other path, or a
	// reinvocation), admitted unchanged.
	resultAlreadyPrepared = "already-prepared"
	// resultDenied: a StatefulSingleton selects the pod, which cannot be prepared: refused.
	resultDenied = "denied"
	// resultError: the webhook cannot tell whether a StatefulSingleton selects the pod. The main
	// path admits it unprepared (it is unguarded if one does), the guard path refuses it (503).
	resultError = "error"
)

// The webhook label: which configuration called (MainPath or GuardPath).
const (
	webhookMain  = "main"
	webhookGuard = "guard"
)

var (
	admissionsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "singleton_operator_webhook_admissions_total",
		Help: "Pod admissions of the pod webhook, by webhook (main, guard) and result: prepared, unselected, " +
			"already-prepared, denied (selected and cannot be prepared), error (cannot tell whether a " +
			"StatefulSingleton selects the pod: main admits it unprepared, guard refuses it).",
	}, []string{"webhook", "result"})
	admissionDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "singleton_operator_webhook_admission_duration_seconds",
		Help: "Time the pod webhook takes to decide about a pod, by webhook (main, guard). The API server " +
			"gives up after 5 s (timeoutSeconds): main then admits the pod unprepared, guard refuses it.",
		// 1 ms to about 10 s: a decision from the cache takes well under a millisecond to a few;
		// the guard path's read from the API server, tens; the 5 s timeout is the end.
		Buckets: prometheus.ExponentialBucketsRange(0.001, 10, 14),
	}, []string{"webhook"})
)

func init() {
	metrics.Registry.MustRegister(admissionsTotal, admissionDuration)
}

// observeAdmission counts one admission and its duration.
func observeAdmission(webhook, result string, took time.Duration) {
	admissionsTotal.WithLabelValues(webhook, result).Inc()
	admissionDuration.WithLabelValues(webhook).Observe(took.Seconds())
}
