// Package kubestellar is the KubeStellar reported-state reconciler (rules R1-R5 of the design):
// for every workload object in a WDS that a Binding asks reported state for, it returns what the
// WECs report (WorkStatus objects in the ITS) into the object: its .status, the label
// kubestellar.io/executing-count and each WEC's health.
//
// A ReportedState custom resource names one WDS and its ITS. The ReportedState reconciler keeps
// one connection per ReportedState: caches of the WDS (Bindings, and the workload objects of each
// resource the Bindings name) and of the ITS (WorkStatus objects of this WDS), and a work queue of
// workload objects. Each object is reconciled as gather (from the caches) -> decide (decide.go, a
// pure function) -> apply (server-side apply with one field manager).
//
// The WorkStatus type here is a read model of KubeStellar's, not an API of ours: the package is
// not an API version (+kubebuilder:skip), so controller-gen makes no CRD of it.
//
// +kubebuilder:skip
package kubestellar
