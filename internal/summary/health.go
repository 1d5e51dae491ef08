package summary

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// HealthOf is one WEC's kstatus for obj: obj as that WEC runs it (same generation and spec),
// carrying r.Status. A status kstatus cannot read is Unknown, with kstatus's error as message.
func HealthOf(obj *unstructured.Unstructured, r Report) Health {
	res, err := kstatus.Compute(withStatus(obj, r.Status))
	if err != nil {
		return Health{WEC: r.WEC, Status: kstatus.UnknownStatus.String(), Message: err.Error()}
	}
	return Health{WEC: r.WEC, Status: res.Status.String(), Message: res.Message}
}

// withStatus is a shallow copy of obj with its status replaced (removed when status is nil).
// Only the top level map is new: callers must not modify what it shares with obj.
func withStatus(obj *unstructured.Unstructured, status map[string]any) *unstructured.Unstructured {
	content := make(map[string]any, len(obj.Object)+1)
	for k, v := range obj.Object {
		content[k] = v
	}
	delete(content, "status")
	if status != nil {
		content["status"] = status
	}
	return &unstructured.Unstructured{Object: content}
}
