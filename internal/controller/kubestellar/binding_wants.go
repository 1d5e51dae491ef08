package kubestellar

import (
	"slices"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
)

// wants is what the Bindings ask for one workload object: the flags, ORed over the Bindings,
// and the qualified WECs (the destinations of the Bindings whose entry sets a flag).
type wants struct {
	Singleton bool
	MultiWEC  bool
	// Version is a version the object is named at (from the first Binding entry that names it).
	Version string
	// Qualified are the qualified WECs, sorted, without duplicates.
	Qualified []string
}

// Any tells whether some Binding asks reported state for the object.
func (w wants) Any() bool { return w.Singleton || w.MultiWEC }

// wantsOf reads what bindings ask for ref. Entries that set neither flag are ignored.
func wantsOf(bindings []*controlv1alpha1.Binding, ref objectRef) wants {
	var w wants
	for _, b := range bindings {
		single, multi, version, ok := entryFlags(b, ref)
		if !ok || (!single && !multi) {
			continue
		}
		w.Singleton = w.Singleton || single
		w.MultiWEC = w.MultiWEC || multi
		if w.Version == "" {
			w.Version = version
		}
		for _, d := range b.Spec.Destinations {
			w.Qualified = append(w.Qualified, d.ClusterId)
		}
	}
	slices.Sort(w.Qualified)
	w.Qualified = slices.Compact(w.Qualified)
	return w
}

// entryFlags finds ref among a Binding's workload entries.
func entryFlags(b *controlv1alpha1.Binding, ref objectRef) (single, multi bool, version string, ok bool) {
	if ref.Namespace == "" {
		for i := range b.Spec.Workload.ClusterScope {
			e := &b.Spec.Workload.ClusterScope[i]
			if e.Group == ref.Group && e.Resource == ref.Resource && e.Name == ref.Name {
				return e.WantSingletonReportedState, e.WantMultiWECReportedState, e.Version, true
			}
		}
		return false, false, "", false
	}
	for i := range b.Spec.Workload.NamespaceScope {
		e := &b.Spec.Workload.NamespaceScope[i]
		if e.Group == ref.Group && e.Resource == ref.Resource && e.Namespace == ref.Namespace && e.Name == ref.Name {
			return e.WantSingletonReportedState, e.WantMultiWECReportedState, e.Version, true
		}
	}
	return false, false, "", false
}

// bindingEntries lists the objects a Binding asks reported state for, with their flags.
func bindingEntries(b *controlv1alpha1.Binding) map[objectRef]entry {
	out := make(map[objectRef]entry, len(b.Spec.Workload.NamespaceScope)+len(b.Spec.Workload.ClusterScope))
	for i := range b.Spec.Workload.NamespaceScope {
		e := &b.Spec.Workload.NamespaceScope[i]
		if e.WantSingletonReportedState || e.WantMultiWECReportedState {
			ref := objectRef{Group: e.Group, Resource: e.Resource, Namespace: e.Namespace, Name: e.Name}
			out[ref] = entry{single: e.WantSingletonReportedState, multi: e.WantMultiWECReportedState}
		}
	}
	for i := range b.Spec.Workload.ClusterScope {
		e := &b.Spec.Workload.ClusterScope[i]
		if e.WantSingletonReportedState || e.WantMultiWECReportedState {
			ref := objectRef{Group: e.Group, Resource: e.Resource, Name: e.Name}
			out[ref] = entry{single: e.WantSingletonReportedState, multi: e.WantMultiWECReportedState}
		}
	}
	return out
}

// entry is the flags of one Binding entry.
type entry struct{ single, multi bool }

// changedEntries lists the objects whose reported state a change of a Binding from old to new
// may change: all of both when the destinations changed, else those added, removed or with
// other flags. old or new may be nil.
func changedEntries(old, new *controlv1alpha1.Binding) []objectRef {
	var before, after map[objectRef]entry
	if old != nil {
		before = bindingEntries(old)
	}
	if new != nil {
		after = bindingEntries(new)
	}
	all := old == nil || new == nil || !slices.Equal(old.Spec.Destinations, new.Spec.Destinations)
	var out []objectRef
	for ref, e := range after {
		if b, ok := before[ref]; all || !ok || b != e {
			out = append(out, ref)
		}
	}
	for ref := range before {
		if _, ok := after[ref]; !ok {
			out = append(out, ref)
		}
	}
	return out
}

// bindingIndexKeys is the Binding index: the keys of the objects it asks reported state for.
func bindingIndexKeys(b *controlv1alpha1.Binding) []string {
	entries := bindingEntries(b)
	keys := make([]string, 0, len(entries))
	for ref := range entries {
		keys = append(keys, ref.String())
	}
	return keys
}
