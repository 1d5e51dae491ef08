package kubestellar

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
)

// maxInvalidListed is how many malformed WorkStatuses the status names.
const maxInvalidListed = 20

// computeStatus is the status of a ReportedState, from its connection's state; configErr is a
// kubeconfig that could not be read, which leaves no connection.
func computeStatus(rs *ksv1alpha1.ReportedState, s connectionState, configErr error) ksv1alpha1.ReportedStateStatus {
	st := *rs.Status.DeepCopy()
	gen := rs.Generation
	set := func(t string, ok bool, reason, msg string) {
		status := metav1.ConditionFalse
		if ok {
			status = metav1.ConditionTrue
		}
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: t, Status: status, Reason: reason, Message: msg, ObservedGeneration: gen,
		})
	}
	unknown := func(t, reason, msg string) {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: t, Status: metav1.ConditionUnknown, Reason: reason, Message: msg, ObservedGeneration: gen,
		})
	}
	connectedCondition(set, unknown, s, configErr)
	connected := configErr == nil && s.Err == nil && s.WDSUp && s.ITSUp
	syncedCondition(set, unknown, s, configErr, connected)
	ready := connected && s.Synced && len(s.Unwatchable) == 0
	msg := "Not connected, or not synced: see the other conditions."
	reason := ksv1alpha1.ReasonReady
	switch {
	case ready:
		msg = fmt.Sprintf("%d objects: %d singleton, %d multi-WEC.", s.Singleton+s.MultiWEC, s.Singleton, s.MultiWEC)
	case connected && s.Synced:
		reason, msg = ksv1alpha1.ReasonCannotWatch, "Some objects asked for cannot be watched: see the Synced condition."
	default:
		reason = ksv1alpha1.ReasonNotConnected
	}
	set(ksv1alpha1.ConditionReady, ready, reason, msg)
	requestsValidCondition(set, s.Misconfigured)
	soleWriterCondition(set, s.SecondWriters)

	st.ObservedGeneration = gen
	st.Objects = ksv1alpha1.ReportedStateObjects{
		Singleton: int32(s.Singleton), MultiWEC: int32(s.MultiWEC), Total: int32(s.Singleton + s.MultiWEC),
	}
	st.WECs = int32(s.WECs)
	invalid := slices.Clone(s.Invalid)
	slices.Sort(invalid)
	if len(invalid) > maxInvalidListed {
		invalid = invalid[:maxInvalidListed]
	}
	st.InvalidWorkStatuses = invalid
	return st
}

// maxMisconfiguredListed is how many misconfigured objects the RequestsValid condition names,
// as KubeStellar's BindingPolicy error names a few.
const maxMisconfiguredListed = 3

// requestsValidCondition says whether some object asks singleton reported state on a qualified
// WEC set of other than one WEC, and names a few.
func requestsValidCondition(set setFunc, misconfigured []string) {
	if len(misconfigured) == 0 {
		set(ksv1alpha1.ConditionRequestsValid, true, ksv1alpha1.ReasonRequestsValid,
			"Every reported-state request can be honored.")
		return
	}
	examples := misconfigured[:min(len(misconfigured), maxMisconfiguredListed)]
	set(ksv1alpha1.ConditionRequestsValid, false, ksv1alpha1.ReasonSingletonWrongWECCount, fmt.Sprintf(
		"%d objects ask singleton reported state on other than one qualified WEC, so nothing is returned "+
			"into them; for example: %s", len(misconfigured), strings.Join(examples, ", ")))
}

// soleWriterCondition says whether KubeStellar's status controller writes reported state or
// CombinedStatus objects too, and names a few of the objects.
func soleWriterCondition(set setFunc, objects []string) {
	if len(objects) == 0 {
		set(ksv1alpha1.ConditionSoleWriter, true, ksv1alpha1.ReasonSoleWriter,
			"No other controller writes the reported state of the objects or their CombinedStatus objects.")
		return
	}
	examples := objects[:min(len(objects), maxMisconfiguredListed)]
	set(ksv1alpha1.ConditionSoleWriter, false, ksv1alpha1.ReasonKubeStellarStatusControllerActive, fmt.Sprintf(
		"KubeStellar's status controller (field manager %s) wrote the reported state or CombinedStatus of %d objects "+
			"after this operator did; run KubeStellar's controller-manager with --controllers=binding. For example: %s",
		KubeStellarStatusManager, len(objects), strings.Join(examples, ", ")))
}

type (
	setFunc     func(t string, ok bool, reason, msg string)
	unknownFunc func(t, reason, msg string)
)

// connectedCondition says whether both clusters answer.
func connectedCondition(set setFunc, unknown unknownFunc, s connectionState, configErr error) {
	switch {
	case configErr != nil:
		set(ksv1alpha1.ConditionConnected, false, configReason(configErr), configErr.Error())
	case s.Err != nil:
		set(ksv1alpha1.ConditionConnected, false, ksv1alpha1.ReasonConnecting,
			"The connection failed and is restarted: "+s.Err.Error())
	case !s.Probed:
		unknown(ksv1alpha1.ConditionConnected, ksv1alpha1.ReasonConnecting, "The WDS and the ITS have not answered yet.")
	case !s.WDSUp:
		set(ksv1alpha1.ConditionConnected, false, ksv1alpha1.ReasonWDSUnreachable, "The WDS does not answer.")
	case !s.ITSUp:
		set(ksv1alpha1.ConditionConnected, false, ksv1alpha1.ReasonITSUnreachable,
			"The ITS does not answer; the status of WDS objects is left as it is until it does.")
	default:
		set(ksv1alpha1.ConditionConnected, true, ksv1alpha1.ReasonConnected, "The WDS and the ITS answer.")
	}
}

// syncedCondition says whether decisions are being made.
func syncedCondition(set setFunc, unknown unknownFunc, s connectionState, configErr error, connected bool) {
	switch {
	case s.Synced && connected && len(s.Unwatchable) > 0:
		set(ksv1alpha1.ConditionSynced, false, ksv1alpha1.ReasonCannotWatch, fmt.Sprintf(
			"Bindings ask for objects of %s, which the WDS credentials cannot list or watch (%s); "+
				"those objects get no reported state until they can, the others do.",
			strings.Join(s.Unwatchable, ", "), s.Why))
	case s.Synced && connected:
		set(ksv1alpha1.ConditionSynced, true, ksv1alpha1.ReasonSynced,
			"Every cache is synced; reported state is returned.")
	case s.Synced:
		set(ksv1alpha1.ConditionSynced, false, ksv1alpha1.ReasonNotConnected,
			"Decisions wait until both clusters answer again.")
	case configErr != nil || !s.Probed:
		unknown(ksv1alpha1.ConditionSynced, ksv1alpha1.ReasonNotConnected, "Not connected yet.")
	default:
		set(ksv1alpha1.ConditionSynced, false, ksv1alpha1.ReasonSyncing,
			"The caches are being filled; nothing is decided yet.")
	}
}
