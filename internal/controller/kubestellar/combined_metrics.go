package kubestellar

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// The values of the propagation lag's path label: into the WDS object, into a CombinedStatus.
const (
	lagPathObject         = "object"
	lagPathCombinedStatus = "combinedstatus"
)

// The results of CombinedStatus writes.
const (
	combinedCreated  = "created"
	combinedUpdated  = "updated"
	combinedDeleted  = "deleted"
	combinedConflict = "conflict"
	combinedError    = "error"
)

var combinedWrites = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "reportedstate_combinedstatus_writes_total",
	Help: "Writes of KubeStellar CombinedStatus objects, by result: created, updated, deleted, conflict (changed " +
		"meanwhile: decided again), error.",
}, []string{"result"})

func init() {
	metrics.Registry.MustRegister(combinedWrites)
}
