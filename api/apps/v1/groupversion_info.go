// Package v1 contains the StatefulSingleton API, group apps.statefulsingleton.com, version v1.
//
// +kubebuilder:object:generate=true
// +groupName=apps.statefulsingleton.com
package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of the objects in this package.
	GroupVersion = schema.GroupVersion{Group: "apps.statefulsingleton.com", Version: "v1"}

	// SchemeBuilder adds the types of this package to a scheme; each kind registers itself
	// with it (here, and in the types file of a kind that `operator-sdk create api` adds).
	SchemeBuilder = &kinds{}

	// AddToScheme adds the types of this package to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func init() {
	SchemeBuilder.Register(&StatefulSingleton{}, &StatefulSingletonList{})
}

// kinds are the kinds of this package. Register is called as the types files kubebuilder
// scaffolds call controller-runtime's scheme.Builder, which is deprecated for api packages
// (they should depend on k8s.io/apimachinery only).
type kinds struct{ objects []runtime.Object }

// Register adds objs to the kinds of this package.
func (k *kinds) Register(objs ...runtime.Object) { k.objects = append(k.objects, objs...) }

// AddToScheme adds the kinds of this package to s.
func (k *kinds) AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, k.objects...)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
