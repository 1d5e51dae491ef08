package gatechannel

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Results of a request refused before it reached the ledger.
const (
	resultUnauthenticated = "unauthenticated"
	resultUnknownPod      = "unknown-pod"
	resultNotLeader       = "not-leader"
	resultBadRequest      = "bad-request"
)

var (
	reportsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "statefulsingleton_gate_exit_reports_total",
		Help: "Exit reports of supervising gates, by result: recorded, duplicate, stale (a later start registered), " +
			"or refused (unauthenticated, unknown-pod, not-leader, bad-request).",
	}, []string{"result"})
	startsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "statefulsingleton_gate_start_requests_total",
		Help: "Start requests of gates whose container reported an exit before, by result: allowed, refused.",
	}, []string{"result"})
	sessionsOpen = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "statefulsingleton_gate_sessions",
		Help: "Gate sessions open on this replica (only the leader accepts them).",
	})
)

func init() {
	metrics.Registry.MustRegister(reportsTotal, startsTotal, sessionsOpen)
}
