package reportedstate

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// keepOwnManagedFields is the WDS cache's transform: of an object's managedFields it keeps only
// the entries of the operator's field manager (ownedBy reads them; nothing reads the others).
// They are most of a workload object's size, and the cache holds every object of each kind the
// Bindings name.
func keepOwnManagedFields(obj any) (any, error) {
	o, ok := obj.(metav1.Object)
	if !ok {
		return obj, nil
	}
	entries := o.GetManagedFields()
	kept := entries[:0:0]
	for i := range entries {
		if entries[i].Manager == FieldManager {
			kept = append(kept, entries[i])
		}
	}
	if len(kept) != len(entries) {
		o.SetManagedFields(kept)
	}
	return obj, nil
}
