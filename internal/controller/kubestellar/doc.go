// Package kubestellar is the KubeStellar reported-state reconciler (rules R1-R5 of the design):
// for every workload object in a WDS that a Binding asks reported state for, it returns what the
// WECs report (WorkStatus objects in the ITS) into the object: its .status, the label
// kubestellar.io/executing-count, how many WECs report and each WEC's health. As KubeStellar's API
// says, the size of the object's qualified WEC set (the destinations of the Bindings asking for
// it) chooses between copying one WEC's status and the multi-WEC summary, and is the executing
// count; a singleton request on other than one WEC returns nothing and is reported.
//
// A ReportedState custom resource names one WDS and its ITS. The ReportedState reconciler keeps
// one connection per ReportedState: caches of the WDS (Bindings, and the workload objects of each
// resource the Bindings name) and of the ITS (WorkStatus objects of this WDS), and a work queue of
// workload objects. Each object is reconciled (reconcile_object.go) as ensureWatch (find its kind
// and watch that kind's objects), then gather (read the caches), decide (decide.go, a pure
// function) and apply (JSON merge patches with one field manager, apply.go); settle ends it.
//
// A connection's state has three parts. What is set before it starts (options, callbacks,
// clients, caches) never changes after. What changes while it runs is under the connection's
// lock, in named parts (connectionLockedState): the link (the clusters' health, the work queue,
// the objects deferred while one does not answer), the WorkStatus tally (per WEC, and the
// malformed ones), the watched resources and the discovery memo. What it keeps about each
// object from one reconcile to the next is in its objectBook, under a lock of its own: the
// mode and WECs' health of the last decision, the pending WorkStatus change, the echoes of its
// writes and the refusal already reported. The reconcile reads the book before gathering and
// tells it how it ended in settle; apply records the decision and its writes' echoes.
//
// The WorkStatus type here is a read model of KubeStellar's, not an API of ours: the package is
// not an API version (+kubebuilder:skip), so controller-gen makes no CRD of it.
//
// +kubebuilder:skip
package kubestellar
