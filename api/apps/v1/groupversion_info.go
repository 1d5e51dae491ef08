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

	// SchemeBuilder adds the types of this package to a scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the types of this package to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &StatefulSingleton{}, &StatefulSingletonList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
