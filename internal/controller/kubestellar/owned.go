package kubestellar

import (
	"encoding/json"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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

// fieldsEntry is what ownedBy and lastWriteBy read of a managedFields entry: its fieldsV1 set
// decoded into a map, as an unstructured object holds it.
type fieldsEntry struct {
	Manager     string
	Subresource string
	// Time is when the manager last changed the entry's fields; zero when the entry has none.
	Time   time.Time
	Fields map[string]any
}

// fieldsEntries are the entries of the operator and of KubeStellar's status controller among
// an unstructured object's managedFields, read from its map: the typed entries
// (GetManagedFields) would be built by reflection and their fieldsV1 encoded, for ownedBy to
// decode them again, at every reconcile. An entry of another shape (a fieldsV1 that is not a
// set, a time that does not parse) is read as the API server's typed entry would be:
// its fields or time not counted.
func fieldsEntries(u *unstructured.Unstructured) []fieldsEntry {
	md, _ := u.Object["metadata"].(map[string]any)
	entries, _ := md["managedFields"].([]any)
	var out []fieldsEntry
	for _, e := range entries {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		manager, _ := m["manager"].(string)
		if manager != FieldManager && manager != KubeStellarStatusManager {
			continue
		}
		fe := fieldsEntry{Manager: manager}
		fe.Subresource, _ = m["subresource"].(string)
		fe.Fields, _ = m["fieldsV1"].(map[string]any)
		if t, ok := m["time"].(string); ok {
			fe.Time, _ = time.Parse(time.RFC3339, t)
		}
		out = append(out, fe)
	}
	return out
}

// writeTimes are the managers and times of typed managedFields entries (a CombinedStatus's), all
// that lastWriteBy reads.
func writeTimes(entries []metav1.ManagedFieldsEntry) []fieldsEntry {
	out := make([]fieldsEntry, 0, len(entries))
	for i := range entries {
		fe := fieldsEntry{Manager: entries[i].Manager, Subresource: entries[i].Subresource}
		if entries[i].Time != nil {
			fe.Time = entries[i].Time.Time
		}
		out = append(out, fe)
	}
	return out
}

// ownedBy reads what manager owns, whether it wrote with patches (operation Update, as the
// operator does) or server-side apply.
func ownedBy(entries []fieldsEntry, manager string) owned {
	var o owned
	for i := range entries {
		e := &entries[i]
		if e.Manager != manager || e.Fields == nil {
			continue
		}
		if e.Subresource == keyStatus {
			o.Status = keysOf(e.Fields["f:status"], o.Status)
			continue
		}
		o.MainStatus = keysOf(e.Fields["f:status"], o.MainStatus)
		if meta, ok := e.Fields["f:metadata"].(map[string]any); ok {
			o.Labels = keysOf(meta["f:labels"], o.Labels)
			o.Annotations = keysOf(meta["f:annotations"], o.Annotations)
		}
	}
	return o
}

// keysOf adds the keys of a fieldsV1 set ({"f:key": {}}) to into.
func keysOf(set any, into map[string]bool) map[string]bool {
	m, ok := set.(map[string]any)
	if !ok {
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
