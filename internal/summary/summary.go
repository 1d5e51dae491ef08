// Package summary turns what several WECs report for one workload object into the one status
// that the object carries in the WDS (rule R2 of the design): counts are the minimum over the
// WECs, observedGeneration the minimum, a condition is True only where it is True in every
// WEC, the WECs that lag are named in messages, and kstatus on the summarized object reads the
// worst of the WECs (Failed, then InProgress, then Current): kstatus's own Stalled and
// Reconciling conditions, derived from each WEC's kstatus, see to that for every kind. Each
// kind's rule is in its own file (summary_<kind>.go), every other kind takes the generic one;
// docs/reported-state-summary.md says the rules for users. It is pure: no client, no clock.
package summary

// Report is what one WEC reports for an object: the WEC object's .status, as its WorkStatus
// carries it.
type Report struct {
	// WEC is the WEC's name (the namespace of its WorkStatus in the ITS).
	WEC string
	// Status is the WEC object's .status; nil when the WEC has reported none yet.
	Status map[string]any
}

// Health is one WEC's kstatus for the object.
type Health struct {
	WEC string
	// Status is a kstatus status: Current, InProgress, Failed, Terminating, NotFound or Unknown.
	Status string
	// Message is kstatus's message for that WEC.
	Message string
}

// Result is a summary: the status to write into the WDS object and each WEC's health,
// sorted by WEC name.
type Result struct {
	Status map[string]any
	WECs   []Health
}

// The entry points, written in this package's other files:
//
//	func Summarize(obj *unstructured.Unstructured, reports []Report) (Result, error)
//	    obj is the WDS object (apiVersion and kind choose the rule; metadata.generation and
//	    spec are what kstatus reads); reports are the qualified WECs' reports, any order.
//	    A report it cannot summarize is a *ReportError naming the WEC.
//	func HealthOf(obj *unstructured.Unstructured, r Report) Health
//	    one WEC's kstatus for obj carrying r.Status.
