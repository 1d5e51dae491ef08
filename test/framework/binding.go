package framework

import (
	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Clause is one workload object a KubeStellar Binding sends, with the reported-state flags of
// its DownsyncModulation.
type Clause struct {
	GVR schema.GroupVersionResource
	// Namespace is empty for a cluster-scoped object.
	Namespace, Name string
	Single, Multi   bool
	// Collectors are the StatusCollectors the entry names.
	Collectors []string
}

// SetBinding gives b the WECs as its destinations and the clauses as its workload, replacing
// its spec.
func SetBinding(b *controlv1alpha1.Binding, wecs []string, clauses ...Clause) {
	b.Spec = controlv1alpha1.BindingSpec{}
	for _, w := range wecs {
		b.Spec.Destinations = append(b.Spec.Destinations, controlv1alpha1.Destination{ClusterId: w})
	}
	for _, c := range clauses {
		AddClause(b, c)
	}
}

// AddClause adds one object to b's workload.
func AddClause(b *controlv1alpha1.Binding, c Clause) {
	mod := controlv1alpha1.DownsyncModulation{WantSingletonReportedState: c.Single, WantMultiWECReportedState: c.Multi,
		StatusCollectors: c.Collectors}
	gvr := metav1.GroupVersionResource{Group: c.GVR.Group, Version: c.GVR.Version, Resource: c.GVR.Resource}
	if c.Namespace == "" {
		b.Spec.Workload.ClusterScope = append(b.Spec.Workload.ClusterScope, controlv1alpha1.ClusterScopeDownsyncClause{
			ClusterScopeDownsyncObject: controlv1alpha1.ClusterScopeDownsyncObject{GroupVersionResource: gvr, Name: c.Name},
			DownsyncModulation:         mod,
		})
		return
	}
	b.Spec.Workload.NamespaceScope = append(b.Spec.Workload.NamespaceScope, controlv1alpha1.NamespaceScopeDownsyncClause{
		NamespaceScopeDownsyncObject: controlv1alpha1.NamespaceScopeDownsyncObject{
			GroupVersionResource: gvr, Namespace: c.Namespace, Name: c.Name,
		},
		DownsyncModulation: mod,
	})
}
