package v1

// Condition types of a StatefulSingleton.
const (
	// ConditionReady is True when one released pod runs the application and is ready.
	ConditionReady = "Ready"
	// ConditionTransitioning is True while a pod waits for the released one to stop.
	ConditionTransitioning = "Transitioning"
	// ConditionDegraded is True when the guarantee is at risk or the configuration is wrong.
	ConditionDegraded = "Degraded"
)

// Condition reasons, in CamelCase as the API conventions ask.
const (
	// ReasonNoPods: the selector matches no pod.
	ReasonNoPods = "NoPods"
	// ReasonReconciling: the operator has seen the object but has not decided yet.
	ReasonReconciling = "Reconciling"
)

// Labels, annotations and the readiness gate that the operator puts on the pods it manages.
const (
	// ReadinessGate is the pod condition type that keeps a held pod out of Service endpoints.
	ReadinessGate = "apps.statefulsingleton.com/singleton-ready"
	// LabelManaged marks a pod that the webhook prepared.
	LabelManaged = "apps.statefulsingleton.com/managed"
	// LabelInstance names the StatefulSingleton that selected the pod.
	LabelInstance = "apps.statefulsingleton.com/instance"
)
