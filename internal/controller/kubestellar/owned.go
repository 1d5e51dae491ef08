package kubestellar

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
		if e.Subresource == keyStatus {
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

// trimFields keeps of a fieldsV1 set what ownedBy reads: the top-level fields of .status and
// the keys of the labels and annotations, each as a leaf. The rest (the nested fields of a
// status, list items) is most of an entry's size in a cache of many objects. raw is returned
// as it is when it does not parse.
func trimFields(raw []byte) []byte {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return raw
	}
	leaf := json.RawMessage(`{}`)
	leaves := func(r json.RawMessage) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		if json.Unmarshal(r, &m) != nil {
			return nil
		}
		for k := range m {
			m[k] = leaf
		}
		return m
	}
	out := map[string]any{}
	if st, ok := fields["f:status"]; ok {
		out["f:status"] = leaves(st)
	}
	if mr, ok := fields["f:metadata"]; ok {
		var meta map[string]json.RawMessage
		if json.Unmarshal(mr, &meta) == nil {
			m := map[string]any{}
			for _, k := range []string{"f:labels", "f:annotations"} {
				if r, ok := meta[k]; ok {
					m[k] = leaves(r)
				}
			}
			out["f:metadata"] = m
		}
	}
	trimmed, err := json.Marshal(out)
	if err != nil {
		return raw
	}
	return trimmed
}
