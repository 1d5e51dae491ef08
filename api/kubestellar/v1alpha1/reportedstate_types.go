package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultKubeconfigKey is the key of a kubeconfig Secret read when none is named.
const DefaultKubeconfigKey = "kubeconfig"

// SecretKeyRef names a key of a Secret in the ReportedState's own namespace.
type SecretKeyRef struct {
	// name of the Secret, in the namespace of the ReportedState.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	Name string `json:"name"`

	// key of the Secret's data that holds the kubeconfig.
	// +optional
	// +kubebuilder:default=kubeconfig
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key,omitempty"`
}

// ControlPlaneRef names a KubeFlex ControlPlane (tenancy.kflex.kubestellar.org/v1alpha1,
// cluster-scoped) of the cluster the operator runs in: the KubeFlex hosting cluster.
type ControlPlaneRef struct {
	// name of the ControlPlane, as `kubectl get controlplanes` lists it (a WDS such as wds1, an
	// ITS such as its1).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`
}

// ClusterRef says how to reach a cluster: the cluster the operator runs in when empty, else
// the cluster of a kubeconfig kept in a Secret of the ReportedState's namespace, or the KubeFlex
// ControlPlane whose kubeconfig Secret KubeFlex keeps. At most one of them.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.kubeconfigSecretRef) && has(self.controlPlaneRef))",message="name the cluster one way: kubeconfigSecretRef or controlPlaneRef, not both (neither: the cluster the operator runs in)"
type ClusterRef struct {
	// kubeconfigSecretRef names the Secret key holding a kubeconfig for the cluster (its current
	// context is used). Without it, and without controlPlaneRef, the cluster the operator runs in
	// is meant.
	// +optional
	KubeconfigSecretRef *SecretKeyRef `json:"kubeconfigSecretRef,omitempty"`

	// controlPlaneRef names the KubeFlex ControlPlane of the space, in the cluster the operator
	// runs in. Its kubeconfig is read as KubeStellar's own controllers read it: from the Secret
	// its status.secretRef names, key inClusterKey when the operator runs in a pod, else key
	// (the other when that one is empty). Changes of the ControlPlane and of its Secret are
	// picked up within the probe interval.
	// +optional
	ControlPlaneRef *ControlPlaneRef `json:"controlPlaneRef,omitempty"`
}

// ReportedStateSpec connects one KubeStellar WDS with its ITS.
type ReportedStateSpec struct {
	// wds is the Workload Description Space: where the Bindings and the workload objects are,
	// and where the reported state is written.
	// +optional
	WDS ClusterRef `json:"wds,omitempty"`

	// its is the Inventory and Transport Space: where the WorkStatus objects are.
	// +optional
	ITS ClusterRef `json:"its,omitempty"`

	// wdsName is the WDS's name as KubeStellar's transport labels the WorkStatus objects
	// (label transport.kubestellar.io/originWdsName). WorkStatus objects of other WDSes are
	// ignored.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`
	WDSName string `json:"wdsName"`
}

// ReportedStateObjects counts the workload objects that the Bindings ask reported state for.
type ReportedStateObjects struct {
	// singleton counts the objects whose status is one WEC's status, copied.
	// +optional
	Singleton int32 `json:"singleton"`
	// multiWEC counts the objects whose status summarizes several WECs.
	// +optional
	MultiWEC int32 `json:"multiWEC"`
	// total counts every object some Binding asks reported state for.
	// +optional
	Total int32 `json:"total"`
}

// ReportedStateStatus is what the operator observed.
type ReportedStateStatus struct {
	// observedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Connected (the WDS and the ITS answer), Synced (every cache is synced and
	// decisions are being made) and Ready (both).
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// objects counts the workload objects by mode.
	// +optional
	Objects ReportedStateObjects `json:"objects,omitempty"`

	// wecs counts the WECs that report at least one object.
	// +optional
	WECs int32 `json:"wecs,omitempty"`

	// invalidWorkStatuses names (namespace/name, at most 20) the WorkStatus objects that were
	// skipped because they are malformed; the events of the ReportedState say why.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	InvalidWorkStatuses []string `json:"invalidWorkStatuses,omitempty"`
}

// ReportedState returns the state that a KubeStellar WDS's WECs report (WorkStatus objects in
// the ITS) into the WDS's workload objects, for every object a Binding asks it for.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=rst,categories=kubestellar
// +kubebuilder:printcolumn:name="WDS",type=string,JSONPath=`.spec.wdsName`
// +kubebuilder:printcolumn:name="ITS",type=string,JSONPath=`.spec.its.kubeconfigSecretRef.name`
// +kubebuilder:printcolumn:name="ITS ControlPlane",type=string,JSONPath=`.spec.its.controlPlaneRef.name`,priority=1
// +kubebuilder:printcolumn:name="Connected",type=string,JSONPath=`.status.conditions[?(@.type=="Connected")].status`
// +kubebuilder:printcolumn:name="Synced",type=string,JSONPath=`.status.conditions[?(@.type=="Synced")].status`
// +kubebuilder:printcolumn:name="Objects",type=integer,JSONPath=`.status.objects.total`
// +kubebuilder:printcolumn:name="WECs",type=integer,JSONPath=`.status.wecs`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ReportedState struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec ReportedStateSpec `json:"spec"`

	// +optional
	Status ReportedStateStatus `json:"status,omitempty"`
}

// ReportedStateList is a list of ReportedState.
//
// +kubebuilder:object:root=true
type ReportedStateList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ReportedState `json:"items"`
}
