package kubestellar

import (
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/singleton-operator/singleton-operator/internal/statemetrics"
)

// statusCondition is reportedstate_status_condition{namespace,name,type,status}: the conditions
// of each ReportedState as written, in kube-state-metrics' shape (docs/monitoring.md).
var statusCondition = statemetrics.NewConditions("reportedstate_status_condition",
	"The conditions of a ReportedState: 1 for the status (True, False, Unknown) each condition type has, else 0.")

func init() {
	metrics.Registry.MustRegister(statusCondition)
}
