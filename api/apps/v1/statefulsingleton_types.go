package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// FastHandOver says whether the webhook gives a StatefulSingleton's pods the fast hand-over.
// +kubebuilder:validation:Enum=Enabled;Disabled
type FastHandOver string

const (
	// FastHandOverEnabled means the gate stays the parent of each application container that has a
	// command, reports its exit to the operator over an authenticated channel, and takes its
	// release pushed over it (docs/gate.md, "Supervision").
	FastHandOverEnabled FastHandOver = "Enabled"
	// FastHandOverDisabled means the gate execs the application, as without the channel; hand-overs
	// wait for the kubelet's report of the old pod's stop.
	FastHandOverDisabled FastHandOver = "Disabled"
)

// TimeoutAction says what happens when a transition takes longer than maxTransitionTime.
// +kubebuilder:validation:Enum=Hold;Release
type TimeoutAction string

const (
	// TimeoutActionHold keeps the new pod held until the old one is confirmed stopped, however long
	// that takes. The StatefulSingleton reports the overrun through a condition, an event and a metric.
	TimeoutActionHold TimeoutAction = "Hold"
	// TimeoutActionRelease releases the new pod once maxTransitionTime has passed, even though the old
	// one is not confirmed stopped. Two instances may then run at once: choose it only for applications
	// that tolerate that.
	TimeoutActionRelease TimeoutAction = "Release"
)

// Phase is a one-word summary of a StatefulSingleton, for kubectl get.
// The conditions carry the detail.
// +kubebuilder:validation:Enum=Pending;Running;Transitioning;Failed
type Phase string

const (
	// PhasePending means no pod has been released yet: none is selected, or the first one is starting.
	PhasePending Phase = "Pending"
	// PhaseRunning means one released pod runs the application and no other pod waits.
	PhaseRunning Phase = "Running"
	// PhaseTransitioning means a pod waits for the released one to stop.
	PhaseTransitioning Phase = "Transitioning"
	// PhaseFailed means the operator cannot keep the guarantee as configured, for example because an
	// unguarded pod runs or the selector matches pods of more than one workload.
	PhaseFailed Phase = "Failed"
)

// StatefulSingletonSpec selects the pods of one workload, at most one of which may run its
// application at any instant.
type StatefulSingletonSpec struct {
	// selector matches the pods of the Deployment or StatefulSet whose application must never run
	// twice at once. It must match the workload's pods and no others, and must not be empty.
	// +required
	// +kubebuilder:validation:XValidation:rule="(has(self.matchLabels) && size(self.matchLabels) > 0) || (has(self.matchExpressions) && size(self.matchExpressions) > 0)",message="selector must not be empty: an empty selector would match every pod in the namespace"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || self.matchExpressions.all(e, e.operator in ['In', 'NotIn', 'Exists', 'DoesNotExist'])",message="selector: matchExpressions operator must be In, NotIn, Exists or DoesNotExist"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || self.matchExpressions.all(e, !(e.operator in ['In', 'NotIn']) || (has(e.values) && size(e.values) > 0))",message="selector: matchExpressions with operator In or NotIn need at least one value"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || self.matchExpressions.all(e, !(e.operator in ['Exists', 'DoesNotExist']) || !has(e.values) || size(e.values) == 0)",message="selector: matchExpressions with operator Exists or DoesNotExist take no values"
	Selector metav1.LabelSelector `json:"selector"`

	// terminationGracePeriod is the time, in seconds, that an old pod is given to stop its
	// application once its stop was requested, when the operator itself deletes it.
	// +optional
	// At least 1: a deletion with a grace period of 0 lets the API server drop the pod's object
	// before the kubelet has stopped its containers.
	// +kubebuilder:default=30
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=86400
	TerminationGracePeriod int32 `json:"terminationGracePeriod,omitempty"`

	// maxTransitionTime is the time, in seconds, a transition may take before it is reported as
	// overdue, and after which timeoutAction applies.
	// +optional
	// +kubebuilder:default=300
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=3600
	MaxTransitionTime int32 `json:"maxTransitionTime,omitempty"`

	// respectPodGracePeriod uses the pod's own terminationGracePeriodSeconds when it is longer than
	// terminationGracePeriod. An explicit false is kept.
	// +optional
	// +kubebuilder:default=true
	RespectPodGracePeriod *bool `json:"respectPodGracePeriod,omitempty"`

	// timeoutAction says what happens when a transition takes longer than maxTransitionTime:
	// Hold (the default) keeps the new pod held until the old one is confirmed stopped;
	// Release starts it anyway, at the risk of two instances running at once.
	// +optional
	// +kubebuilder:default=Hold
	TimeoutAction TimeoutAction `json:"timeoutAction,omitempty"`

	// fastHandOver says whether pods created from now on get the fast hand-over: Enabled (the
	// default) keeps the gate as the parent of each application container with a command, which
	// reports the application's exit to the operator, so that the next pod is released within
	// milliseconds of the old application's exit instead of after the kubelet notices it; the
	// application is then not PID 1 of its container. Disabled makes the gate exec the
	// application, as before. Either way a pod is released only once the old one is proven
	// stopped; pods keep what they were created with.
	// +optional
	// +kubebuilder:default=Enabled
	FastHandOver FastHandOver `json:"fastHandOver,omitempty"`
}

// TransitionRecord describes one hand-over from one pod to the next.
type TransitionRecord struct {
	// from is the pod that ran the application before, empty for the first release.
	// +optional
	From string `json:"from,omitempty"`

	// to is the pod released, or to be released, to run the application.
	To string `json:"to"`

	// fromStoppedTime is when the application of the pod handed over from was confirmed stopped.
	// +optional
	FromStoppedTime *metav1.Time `json:"fromStoppedTime,omitempty"`

	// startTime is when the transition began: the first moment a new pod waited while another was
	// released.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// releaseTime is when the new pod was released.
	// +optional
	ReleaseTime *metav1.Time `json:"releaseTime,omitempty"`

	// completionTime is when the new pod became ready.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`

	// duration is completionTime minus startTime.
	// +optional
	Duration *metav1.Duration `json:"duration,omitempty"`

	// handoverGap is the time from the old pod's stop, as the kubelet reports it (its containers'
	// finishedAt, to the second), to the new pod's release. The new application starts after the
	// release; this is not the whole downtime.
	// +optional
	HandoverGap *metav1.Duration `json:"handoverGap,omitempty"`

	// forced is true when the new pod was released because maxTransitionTime passed with
	// timeoutAction Release, not because the old pod was confirmed stopped.
	// +optional
	Forced bool `json:"forced,omitempty"`
}

// PodReference names one pod for good: by name for people, by UID for decisions.
type PodReference struct {
	// name of the pod.
	Name string `json:"name"`

	// uid of the pod.
	UID types.UID `json:"uid"`

	// nodeName is the node the pod was bound to when last seen, empty when it was not bound.
	// +optional
	NodeName string `json:"nodeName,omitempty"`
}

// StatefulSingletonStatus is what the operator observed and decided.
type StatefulSingletonStatus struct {
	// observedGeneration is the generation of the spec this status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// phase is a one-word summary: Pending, Running, Transitioning or Failed.
	// +optional
	Phase Phase `json:"phase,omitempty"`

	// activePod is the name of the pod released to run the application, if any, or of the pod
	// whose release is recorded ahead: it takes effect the moment the pods asked to stop for it
	// are confirmed stopped.
	// +optional
	ActivePod string `json:"activePod,omitempty"`

	// activePodUID is the UID of activePod: StatefulSets reuse pod names, UIDs never.
	// +optional
	ActivePodUID types.UID `json:"activePodUID,omitempty"`

	// mayRunPods lists every pod that may run the application (released, never held by the
	// gate, or the active pod whose release is recorded ahead) until its stop is confirmed, by
	// UID and node. A pod listed here that disappears unconfirmed keeps every other pod held
	// until its node is fenced. The operator records a pod here before it releases it (when it
	// asks the pods before it to stop), so that a restarted operator or a new leader resumes
	// from what the API holds.
	// +optional
	// +listType=map
	// +listMapKey=uid
	// +kubebuilder:validation:MaxItems=1000
	MayRunPods []PodReference `json:"mayRunPods,omitempty"`

	// transitionTimestamp is when the current or last transition began.
	// +optional
	TransitionTimestamp *metav1.Time `json:"transitionTimestamp,omitempty"`

	// message says, for a person, what the operator is doing or waiting for.
	// +optional
	Message string `json:"message,omitempty"`

	// heldPods is the number of selected pods whose application waits for release.
	// +optional
	HeldPods int32 `json:"heldPods,omitempty"`

	// currentTransition describes the hand-over in progress, if any.
	// +optional
	CurrentTransition *TransitionRecord `json:"currentTransition,omitempty"`

	// lastTransition describes the most recent completed hand-over.
	// +optional
	LastTransition *TransitionRecord `json:"lastTransition,omitempty"`

	// conditions: Ready (one pod runs the application and is ready), Transitioning (a pod waits
	// for the released one to stop) and Degraded (the guarantee is at risk or configuration is wrong).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// StatefulSingleton keeps the application of a Deployment's or StatefulSet's pods running in at
// most one pod at any instant, and hands over from one pod to the next as fast as the cluster
// allows.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ssg;singleton,categories=all
// +kubebuilder:printcolumn:name="Active Pod",type=string,JSONPath=`.status.activePod`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Held",type=integer,JSONPath=`.status.heldPods`,priority=1
// +kubebuilder:printcolumn:name="Last Gap",type=string,JSONPath=`.status.lastTransition.handoverGap`
// +kubebuilder:printcolumn:name="Last Transition",type=string,JSONPath=`.status.lastTransition.duration`,priority=1
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type StatefulSingleton struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec selects the pods and sets how transitions behave.
	// +required
	Spec StatefulSingletonSpec `json:"spec"`

	// status is what the operator observed and decided.
	// +optional
	Status StatefulSingletonStatus `json:"status,omitempty"`
}

// StatefulSingletonList is a list of StatefulSingleton.
//
// +kubebuilder:object:root=true
type StatefulSingletonList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []StatefulSingleton `json:"items"`
}
