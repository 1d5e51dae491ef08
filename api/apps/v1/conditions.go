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
	// ReasonActivePodVanished: a pod that may run (released, or unguarded) disappeared before
	// its stop was confirmed; its node must be fenced before another pod is released.
	ReasonActivePodVanished = "ActivePodVanished"
	// ReasonMoreThanOneMayRun: more than one selected pod may run the application at once (a
	// forced release, a node un-fenced, a pod that escaped the webhook); the older ones are stopped.
	ReasonMoreThanOneMayRun = "MoreThanOneMayRun"
	// ReasonInvalidSelector: the selector does not parse; nothing is released until it is fixed.
	ReasonInvalidSelector = "InvalidSelector"
	// ReasonYieldsToOlder: an older StatefulSingleton selects the same pods and decides for them;
	// this one releases and stops nothing until that one is gone.
	ReasonYieldsToOlder = "YieldsToOlder"
	// ReasonApplicationNotRunning: the released pod's containers are not all running (starting,
	// crash-looping, or waiting for an image).
	ReasonApplicationNotRunning = "ApplicationNotRunning"
	// ReasonTransitionOverdue: a transition has taken longer than maxTransitionTime.
	ReasonTransitionOverdue = "TransitionOverdue"
	// ReasonMoreThanOneReplica: a selected pod's workload asks for more than one replica.
	ReasonMoreThanOneReplica = "MoreThanOneReplica"
	// ReasonMultipleWorkloads: the selector matches pods of more than one workload.
	ReasonMultipleWorkloads = "MultipleWorkloads"
	// ReasonOverlappingSelectors: selected pods are selected by another StatefulSingleton too.
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
	// AnnotationStopConfirmed records, on a pod being deleted, that the operator confirmed its
	// application stopped (holding the pod's own UID), written with the removal of the release
	// finalizer: a kubelet never starts the containers of a pod being deleted, so the
	// confirmation holds even after the fence that gave it is lifted.
	AnnotationStopConfirmed = "apps.statefulsingleton.com/stop-confirmed"

	// AnnotationFastHandOver is written by the webhook on the pods it prepares: "Supervised"
	// when their gates report to the operator (the fast hand-over), else "Off: <why>".
	AnnotationFastHandOver = "apps.statefulsingleton.com/fast-hand-over"
	// FinalizerRelease keeps the object of a pod that may run (released, or unguarded) until the
	// operator has confirmed that its application stopped, so that a force delete cannot hide a
	// process still running.
	FinalizerRelease = "apps.statefulsingleton.com/release"
	// FinalizerHandBack keeps a StatefulSingleton being deleted until it has handed its workload
	// back: the transition in progress finished, no pod held, every released pod Ready.
	FinalizerHandBack = "apps.statefulsingleton.com/hand-back"
	// AnnotationConfirmedStopped, on a StatefulSingleton, lists (comma-separated) the UIDs of
	// pods that vanished before their stop was confirmed and that a person confirms stopped,
	// for a pod whose node cannot be fenced (a healthy node whose kubelet killed it).
	AnnotationConfirmedStopped = "apps.statefulsingleton.com/confirmed-stopped"
	// TaintOutOfService is the taint that fences a node whose pods may be treated as stopped.
	TaintOutOfService = "node.kubernetes.io/out-of-service"
)
