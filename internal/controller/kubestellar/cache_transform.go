package kubestellar

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// slimWDSObject is the WDS cache's transform. The cache holds every object of each kind the
// Bindings name, most of them workload objects the operator only reads a little of; it keeps:
//   - of managedFields, the operator's own entries and those of KubeStellar's status controller
//     (adopted, see KubeStellarStatusManager), trimmed to what ownedBy reads (nothing reads the
//     others; all of them are most of a workload object's size);
//   - of annotations, the operator's own (kubectl's last-applied-configuration, say, is a copy of
//     the whole object);
//   - of a workload's spec, all but the pod template (spec.template, spec.jobTemplate): the
//     summaries and kstatus read replicas, strategies and completions, never the pods' spec.
func slimWDSObject(obj any) (any, error) {
	o, ok := obj.(metav1.Object)
	if !ok {
		return obj, nil
	}
	keepOwnManagedFields(o)
	keepOwnAnnotations(o)
	if u, ok := obj.(*unstructured.Unstructured); ok {
		if spec, ok := u.Object["spec"].(map[string]any); ok {
			delete(spec, "template")
			delete(spec, "jobTemplate")
		}
	}
	return obj, nil
}

// ownAnnotations are the annotations the operator writes, the only ones the cache keeps.
var ownAnnotations = []string{AnnotationWECStatus, AnnotationReportingWECs}

// keepOwnAnnotations drops the annotations of others.
func keepOwnAnnotations(o metav1.Object) {
	all := o.GetAnnotations()
	if len(all) == 0 {
		return
	}
	var ours map[string]string
	for _, k := range ownAnnotations {
		if v, has := all[k]; has {
			if ours == nil {
				ours = map[string]string{}
			}
			ours[k] = v
		}
	}
	if len(ours) != len(all) {
		o.SetAnnotations(ours)
	}
}

// keepOwnManagedFields drops the managedFields entries of other field managers than the
// operator and KubeStellar's status controller, and trims those it keeps.
func keepOwnManagedFields(o metav1.Object) {
	if u, ok := o.(*unstructured.Unstructured); ok {
		keepOwnManagedFieldsOf(u)
		return
	}
	entries := o.GetManagedFields()
	if len(entries) == 0 {
		return
	}
	kept := entries[:0:0]
	for i := range entries {
		if m := entries[i].Manager; m != FieldManager && m != KubeStellarStatusManager {
			continue
		}
		e := entries[i]
		if e.FieldsV1 != nil {
			e.FieldsV1 = metav1.NewFieldsV1(string(trimFields(e.FieldsV1.GetRawBytes())))
		}
		kept = append(kept, e)
	}
	o.SetManagedFields(kept)
}

// keepOwnManagedFieldsOf is keepOwnManagedFields on an unstructured object's map, where a watch
// event's object arrives: GetManagedFields and SetManagedFields convert every entry by
// reflection, most of them other managers' (the controller-manager's, kubectl's, ...), which
// are dropped here unread. An entry that is not a map is left for GetManagedFields to judge.
func keepOwnManagedFieldsOf(u *unstructured.Unstructured) {
	md, ok := u.Object["metadata"].(map[string]any)
	if !ok {
		return
	}
	entries, ok := md["managedFields"].([]any)
	if !ok {
		return
	}
	kept := entries[:0:0]
	for _, e := range entries {
		m, ok := e.(map[string]any)
		if !ok {
			kept = append(kept, e)
			continue
		}
		if manager, _ := m["manager"].(string); manager != FieldManager && manager != KubeStellarStatusManager {
			continue
		}
		if fields, ok := m["fieldsV1"].(map[string]any); ok {
			m["fieldsV1"] = trimFieldsMap(fields)
		}
		kept = append(kept, m)
	}
	if len(kept) == 0 {
		delete(md, "managedFields")
		return
	}
	md["managedFields"] = kept
}

// trimFieldsMap is trimFields on a fieldsV1 set decoded into a map.
func trimFieldsMap(fields map[string]any) map[string]any {
	leaves := func(v any) map[string]any {
		in, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		m := make(map[string]any, len(in))
		for k := range in {
			m[k] = map[string]any{}
		}
		return m
	}
	out := map[string]any{}
	if st, ok := fields["f:status"]; ok {
		out["f:status"] = leaves(st)
	}
	if meta, ok := fields["f:metadata"].(map[string]any); ok {
		m := map[string]any{}
		for _, k := range []string{"f:labels", "f:annotations"} {
			if r, ok := meta[k]; ok {
				m[k] = leaves(r)
			}
		}
		out["f:metadata"] = m
	}
	return out
}
