package kubestellar

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// KubeStellarStatusManager is the field manager of KubeStellar's own status controller (the
// "Status" controller of its controller-manager, pkg/status of KubeStellar v0.30). This operator
// takes over from it: what it wrote on a WDS object (status, the managed-by.kubestellar.io
// labels) is adopted, so that it is cleared when no Binding asks for it any more, and a write of
// it after this operator's tells that it still runs (docs/reported-state.md, "Taking over").
const KubeStellarStatusManager = "Status"

// causeSecondWriter notes an object whose reported state KubeStellar's status controller wrote
// after this operator did.
const causeSecondWriter = "SecondWriter"

// secondWriterQuiet is how long an object stays told as written by a second controller after
// that controller was last seen writing it; the object is decided again then, to end it.
const secondWriterQuiet = 2 * time.Minute

var secondWriterObjects = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "reportedstate_second_writer_objects",
	Help: "WDS objects whose reported state, and CombinedStatus objects, KubeStellar's own status controller wrote " +
		"after this operator did: two controllers write them.",
}, rsLabels)

func init() {
	metrics.Registry.MustRegister(secondWriterObjects)
}

// ownedOrAdopted is what the operator owns on an object, with what KubeStellar's status
// controller wrote there of reported state adopted as the operator's: the fields of .status and
// its labels among sweepLabels. Other labels it happens to own (an Update of the whole object
// owns every field it changed) are the user's.
func ownedOrAdopted(entries []fieldsEntry) owned {
	theirs := ownedBy(entries, KubeStellarStatusManager)
	var labels map[string]bool
	for _, l := range sweepLabels {
		if theirs.Labels[l] {
			if labels == nil {
				labels = map[string]bool{}
			}
			labels[l] = true
		}
	}
	adopted := owned{Status: theirs.Status, MainStatus: theirs.MainStatus, Labels: labels}
	return ownedBy(entries, FieldManager).union(adopted)
}

// union is what either owns.
func (o owned) union(other owned) owned {
	return owned{
		Labels:      unionKeys(o.Labels, other.Labels),
		Annotations: unionKeys(o.Annotations, other.Annotations),
		Status:      unionKeys(o.Status, other.Status),
		MainStatus:  unionKeys(o.MainStatus, other.MainStatus),
	}
}

func unionKeys(a, b map[string]bool) map[string]bool {
	if len(b) == 0 {
		return a
	}
	out := make(map[string]bool, len(a)+len(b))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// writtenAfterOperator tells whether KubeStellar's status controller changed the object after
// this operator last did, as their managedFields times say (to the second: a write in the same
// second is not told).
func writtenAfterOperator(entries []fieldsEntry) bool {
	ours, theirs := lastWriteBy(entries, FieldManager), lastWriteBy(entries, KubeStellarStatusManager)
	return !ours.IsZero() && theirs.After(ours)
}

// lastWriteBy is the latest time of manager's managedFields entries; zero when it has none.
func lastWriteBy(entries []fieldsEntry, manager string) time.Time {
	var last time.Time
	for i := range entries {
		if e := &entries[i]; e.Manager == manager && e.Time.After(last) {
			last = e.Time
		}
	}
	return last
}
