// Package statemetrics holds gauges of custom resources' status in the shape kube-state-metrics
// gives built-in ones: one series per condition type and status (True, False, Unknown), 1 for
// the status the condition has and 0 for the others, and one series per phase, 1 for the
// current one. Queries then read `..._status_condition{type="Ready",status="True"} == 1` or
// `..._status_phase{phase="Failed"} == 1` the way they read kube-state-metrics'. Series of
// condition types an object no longer has, and every series of a deleted object, are removed.
package statemetrics

// The labels naming the object.
const (
	labelNamespace = "namespace"
	labelName      = "name"
)
