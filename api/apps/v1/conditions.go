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
	// ReasonRunning: one released pod runs the application.
	ReasonRunning = "Running"
	// ReasonNotReleased: no pod is released yet.
	ReasonNotReleased = "NotReleased"
	// ReasonWaitingForStop: a pod waits for the released one to stop.
	ReasonWaitingForStop = "WaitingForStop"
	// ReasonIdle: no pod waits.
	ReasonIdle = "Idle"
	// ReasonAsExpected: nothing puts the guarantee at risk.
	ReasonAsExpected = "AsExpected"
	// ReasonUnguardedPods: a selected pod escaped the webhook and may run beside the others.
	ReasonUnguardedPods = "UnguardedPods"
	// ReasonActivePodVanished: the released pod disappeared before its stop was confirmed.
	ReasonActivePodVanished = "ActivePodVanished"
	// ReasonTransitionOverdue: a transition has taken longer than maxTransitionTime.
	ReasonTransitionOverdue = "TransitionOverdue"
	// ReasonMoreThanOneReplica: a selected pod's workload asks for more than one replica.
	ReasonMoreThanOneReplica = "MoreThanOneReplica"
	// ReasonMultipleWorkloads: the selector matches pods of more than one workload.
	ReasonMultipleWorkloads = "MultipleWorkloads"
	// ReasonOverlappingSelectors: selected pods were prepared for another StatefulSingleton.
	ReasonOverlappingSelectors = "OverlappingSelectors"
)

// Labels, annotations and the readiness gate that the operator puts on the pods it manages.
const (
	// ReadinessGate is the pod condition type that keeps a held pod out of Service endpoints.
	ReadinessGate = "apps.statefulsingleton.com/singleton-ready"
	// LabelManaged marks a pod that the webhook prepared.
	LabelManaged = "apps.statefulsingleton.com/managed"
	// LabelInstance names the StatefulSingleton that selected the pod.
	LabelInstance = "apps.statefulsingleton.com/instance"
	// AnnotationRelease releases a prepared pod: its gate starts the application once this
	// annotation holds the pod's own UID. A copy on a pod template never releases a new pod.
	AnnotationRelease = "apps.statefulsingleton.com/release"
	// FinalizerRelease keeps a released pod's object until the operator has confirmed that its
	// application stopped, so that a force delete cannot hide a process still running.
	FinalizerRelease = "apps.statefulsingleton.com/release"
	// FinalizerHandBack keeps a StatefulSingleton being deleted until it has handed its workload
	// back: the transition in progress finished, no pod held, every released pod Ready.
	FinalizerHandBack = "apps.statefulsingleton.com/hand-back"
	// TaintOutOfService is the taint that fences a node whose pods may be treated as stopped.
	TaintOutOfService = "node.kubernetes.io/out-of-service"
)
