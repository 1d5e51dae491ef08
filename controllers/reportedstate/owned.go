package reportedstate

import (
	"encoding/json"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// owned is what a field manager owns on an object, as its managedFields say: the fields it
// wrote that nobody changed since.
type owned struct {
	// Labels and Annotations are the keys it owns.
	Labels      map[string]bool
	Annotations map[string]bool
	// Status are the top-level fields of .status it owns through the status subresource.
	Status map[string]bool
	// MainStatus are the top-level fields of .status it owns through the object itself (kinds
	// without a status subresource).
	MainStatus map[string]bool
}

// ownedBy reads what manager owns, whether it wrote with patches (operation Update, as the
// operator does) or server-side apply.
func ownedBy(entries []metav1.ManagedFieldsEntry, manager string) owned {
	var o owned
	for i := range entries {
		e := &entries[i]
		if e.Manager != manager || e.FieldsV1 == nil {
			continue
		}
		var fields map[string]json.RawMessage
		if json.Unmarshal(e.FieldsV1.GetRawBytes(), &fields) != nil {
			continue
		}
		if e.Subresource == "status" {
			o.Status = keysOf(fields["f:status"], o.Status)
			continue
		}
		o.MainStatus = keysOf(fields["f:status"], o.MainStatus)
		var meta map[string]json.RawMessage
		if raw, ok := fields["f:metadata"]; ok && json.Unmarshal(raw, &meta) == nil {
			o.Labels = keysOf(meta["f:labels"], o.Labels)
			o.Annotations = keysOf(meta["f:annotations"], o.Annotations)
		}
	}
	return o
}

// keysOf adds the keys of a fieldsV1 map ({"f:key": {}}) to into.
func keysOf(raw json.RawMessage, into map[string]bool) map[string]bool {
	if len(raw) == 0 {
		return into
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return into
	}
	for k := range m {
		if name, ok := strings.CutPrefix(k, "f:"); ok {
			if into == nil {
				into = map[string]bool{}
			}
			into[name] = true
		}
	}
	return into
}
