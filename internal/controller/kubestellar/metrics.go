package kubestellar

import (
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// The labels of the per-ReportedState metrics.
var rsLabels = []string{labelRSNamespace, labelRSName}

// The names of the labels of rsLabels.
const (
	labelRSNamespace = "namespace"
	labelRSName      = "name"
)

// Buckets from 1 ms to about 60 s: a change usually lands in milliseconds, and an outage of the
// ITS or a restart of the operator shows as the long tail.
var lagBuckets = prometheus.ExponentialBucketsRange(0.001, 60, 18)

var (
	propagationLag = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "reportedstate_propagation_lag_seconds",
		Help: "Time from a WEC's status written into its WorkStatus (as received by the operator's ITS watch, " +
			"or the WorkStatus's managedFields time when that is older) to the WDS object (path=object) or a " +
			"KubeStellar CombinedStatus (path=combinedstatus) written.",
		Buckets: lagBuckets,
	}, append(slices.Clone(rsLabels), "path"))
	statusWrites = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "reportedstate_status_writes_total",
		Help: "Patches of WDS objects, by result: applied, conflict (the object changed meanwhile, or was deleted " +
			"or replaced: decided again), error.",
	}, []string{"result"})
	objectsByMode = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "reportedstate_objects",
		Help: "WDS objects that Bindings ask reported state for, by mode (singleton, multiwec).",
	}, append(slices.Clone(rsLabels), "mode"))
	wecsReporting = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "reportedstate_wecs_reporting",
		Help: "WECs with at least one WorkStatus of the WDS.",
	}, rsLabels)
	connected = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "reportedstate_connected",
		Help: "1 when the cluster (wds or its) answers, else 0.",
	}, append(slices.Clone(rsLabels), "cluster"))
	wecObjects = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "reportedstate_wec_objects",
		Help: "WDS objects a WEC reports, by the WEC's kstatus of its copy (Current, InProgress, Failed, ...).",
	}, append(slices.Clone(rsLabels), "wec", "status"))
	invalidWorkStatuses = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "reportedstate_invalid_workstatuses",
		Help: "WorkStatus objects of the WDS skipped because they are malformed.",
	}, rsLabels)
)

func init() {
	metrics.Registry.MustRegister(propagationLag, statusWrites, objectsByMode, wecsReporting, wecObjects, connected,
		invalidWorkStatuses)
}

// forgetMetrics drops the gauges of a deleted ReportedState.
func forgetMetrics(namespace, name string) {
	for _, mode := range []string{modeSingleton, modeMultiWEC} {
		objectsByMode.DeleteLabelValues(namespace, name, mode)
	}
	for _, cluster := range []string{clusterWDS, clusterITS} {
		connected.DeleteLabelValues(namespace, name, cluster)
	}
	wecsReporting.DeleteLabelValues(namespace, name)
	wecObjects.DeletePartialMatch(prometheus.Labels{labelRSNamespace: namespace, labelRSName: name})
	propagationLag.DeletePartialMatch(prometheus.Labels{labelRSNamespace: namespace, labelRSName: name})
	invalidWorkStatuses.DeleteLabelValues(namespace, name)
	secondWriterObjects.DeleteLabelValues(namespace, name)
	statusCondition.Forget(namespace, name)
}
