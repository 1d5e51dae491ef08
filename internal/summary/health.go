package summary

import (
	"fmt"
	"maps"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// HealthOf is one WEC's kstatus for obj: obj as that WEC runs it (same generation and spec),
// carrying r.Status. A status whose fields have the wrong shape, or that kstatus cannot read
// (a Pod in phase Unknown), is Unknown, with the reason as message.
func HealthOf(obj *unstructured.Unstructured, r Report) Health {
	if err := checkObject(obj); err != nil {
		return Health{WEC: r.WEC, Status: kstatus.UnknownStatus.String(), Message: err.Error()}
	}
	if err := checkStatus(ruleFor(obj.GroupVersionKind().GroupKind()), r.Status); err != nil {
		return Health{WEC: r.WEC, Status: kstatus.UnknownStatus.String(), Message: err.Error()}
	}
	return compute(obj, r)
}

// compute is kstatus on obj carrying r.Status, for a status already checked.
func compute(obj *unstructured.Unstructured, r Report) Health {
	st, msg := kstatusOf(withStatus(obj, r.Status))
	return Health{WEC: r.WEC, Status: st, Message: msg}
}

// kstatusOf is kstatus's status and message for u; an error reads as Unknown.
func kstatusOf(u *unstructured.Unstructured) (status, message string) {
	res, err := kstatus.Compute(u)
	if err != nil {
		return kstatus.UnknownStatus.String(), fmt.Sprintf("kstatus cannot read the status: %v", err)
	}
	return res.Status.String(), res.Message
}

// rank orders kstatus statuses from best (0) to worst: Current, NotFound, Terminating,
// Unknown, InProgress, Failed. docs/reported-state-summary.md says why.
func rank(status string) int {
	switch kstatus.Status(status) {
	case kstatus.FailedStatus:
		return 5
	case kstatus.InProgressStatus:
		return 4
	case kstatus.UnknownStatus:
		return 3
	case kstatus.TerminatingStatus:
		return 2
	case kstatus.NotFoundStatus:
		return 1
	case kstatus.CurrentStatus:
		return 0
	}
	return 3
}

// withStatus is a shallow copy of obj with its status replaced (removed when status is nil).
// Only the top level map is new: nothing may modify what it shares with obj.
func withStatus(obj *unstructured.Unstructured, status map[string]any) *unstructured.Unstructured {
	content := maps.Clone(obj.Object)
	if content == nil {
		content = map[string]any{}
	}
	delete(content, "status")
	if status != nil {
		content["status"] = status
	}
	return &unstructured.Unstructured{Object: content}
}
