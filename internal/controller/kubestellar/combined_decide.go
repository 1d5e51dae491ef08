package kubestellar

import (
	"slices"
	"strings"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/singleton-operator/singleton-operator/internal/combinedstatus"
)

// The labels KubeStellar puts on a CombinedStatus: what it is about (docs/design.md, R6).
const (
	labelCSGroup     = "status.kubestellar.io/api-group"
	labelCSResource  = "status.kubestellar.io/resource"
	labelCSNamespace = "status.kubestellar.io/namespace"
	labelCSName      = "status.kubestellar.io/name"
	labelCSPolicy    = "status.kubestellar.io/binding-policy"
)

// clusterScopedCombinedStatusNamespace holds the CombinedStatus objects of cluster-scoped
// workload objects.
const clusterScopedCombinedStatusNamespace = "kubestellar-report"

// combinedFacts is what decideCombined needs about one workload object.
type combinedFacts struct {
	Ref objectRef
	// Object is the workload object as the WDS cache holds it; nil when it is gone.
	Object *unstructured.Unstructured
	// Bindings are the Bindings whose entry for the object names StatusCollectors.
	Bindings []combinedBinding
	// Existing are the CombinedStatus objects labeled as being about the object.
	Existing []*controlv1alpha1.CombinedStatus
}

// combinedBinding is one Binding's part: its policy, the collectors its entry names and what
// its destinations report.
type combinedBinding struct {
	// Name is the Binding's name, which is its BindingPolicy's.
	Name string
	// PolicyUID is the BindingPolicy's UID; empty when the policy is gone.
	PolicyUID types.UID
	// Collectors are the named collectors that exist and compiled.
	Collectors []*combinedstatus.Collector
	// Reports are what the Binding's destinations report about the object.
	Reports []combinedstatus.Report
}

// combinedPlan is what to write: CombinedStatus objects to create (no resourceVersion) or
// replace (the existing one's resourceVersion), and existing ones to delete.
type combinedPlan struct {
	Write  []*controlv1alpha1.CombinedStatus
	Delete []*controlv1alpha1.CombinedStatus
}

// decideCombined computes the CombinedStatus of each (object, BindingPolicy) pair whose Binding
// names collectors that exist, and compares them with the existing ones: one that differs is
// written, one no pair wants any more (object, policy or every collector gone, or the object
// replaced by one of another UID) is deleted, and nothing else is touched.
func decideCombined(f combinedFacts) combinedPlan {
	want := map[string]*controlv1alpha1.CombinedStatus{}
	var order []string
	if f.Object != nil {
		for _, b := range f.Bindings {
			if b.PolicyUID == "" || len(b.Collectors) == 0 {
				continue
			}
			cs := desiredCombined(f.Ref, f.Object, b)
			if _, dup := want[cs.Name]; !dup {
				order = append(order, cs.Name)
			}
			want[cs.Name] = cs
		}
	}
	var p combinedPlan
	have := map[string]bool{}
	for _, old := range f.Existing {
		cs, ok := want[old.Name]
		if !ok || old.Namespace != cs.Namespace {
			p.Delete = append(p.Delete, old)
			continue
		}
		have[old.Name] = true
		if !combinedEqual(old, cs) {
			cs.ResourceVersion = old.ResourceVersion
			p.Write = append(p.Write, cs)
		}
	}
	for _, name := range order {
		if !have[name] {
			p.Write = append(p.Write, want[name])
		}
	}
	return p
}

// desiredCombined is the CombinedStatus of obj for Binding b, named and labeled as KubeStellar
// names and labels it, owned by obj, with one result per collector, by collector name.
func desiredCombined(ref objectRef, obj *unstructured.Unstructured, b combinedBinding) *controlv1alpha1.CombinedStatus {
	ns := obj.GetNamespace()
	if ns == "" {
		ns = clusterScopedCombinedStatusNamespace
	}
	cs := &controlv1alpha1.CombinedStatus{
		TypeMeta: metav1.TypeMeta{APIVersion: controlv1alpha1.GroupVersion.String(), Kind: "CombinedStatus"},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns,
			Name:      string(obj.GetUID()) + "." + string(b.PolicyUID),
			Labels: map[string]string{
				labelCSGroup: ref.Group, labelCSResource: ref.Resource, labelCSNamespace: ref.Namespace,
				labelCSName: ref.Name, labelCSPolicy: b.Name,
			},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Name: obj.GetName(), UID: obj.GetUID(),
			}},
		},
	}
	collectors := slices.Clone(b.Collectors)
	slices.SortFunc(collectors, func(x, y *combinedstatus.Collector) int { return strings.Compare(x.Name, y.Name) })
	for _, c := range collectors {
		cs.Results = append(cs.Results, c.Evaluate(obj.Object, b.Reports))
	}
	return cs
}

// combinedEqual tells whether old already holds what cs says: the labels, the owner and the
// results.
func combinedEqual(old, cs *controlv1alpha1.CombinedStatus) bool {
	for k, v := range cs.Labels {
		if old.Labels[k] != v {
			return false
		}
	}
	if !slices.ContainsFunc(old.OwnerReferences, func(o metav1.OwnerReference) bool {
		return o.UID == cs.OwnerReferences[0].UID
	}) {
		return false
	}
	return equality.Semantic.DeepEqual(normalizedResults(old.Results), normalizedResults(cs.Results))
}

// normalizedResults makes empty lists and absent ones alike, as they read back from the API.
func normalizedResults(rs []controlv1alpha1.NamedStatusCombination) []controlv1alpha1.NamedStatusCombination {
	out := make([]controlv1alpha1.NamedStatusCombination, len(rs))
	for i, r := range rs {
		r.ColumnNames = slices.Clip(r.ColumnNames)
		if len(r.ColumnNames) == 0 {
			r.ColumnNames = nil
		}
		if len(r.Rows) == 0 {
			r.Rows = nil
		}
		if len(r.RowErrors) == 0 {
			r.RowErrors = nil
		}
		if len(r.AggregationErrors) == 0 {
			r.AggregationErrors = nil
		}
		out[i] = r
	}
	return out
}
