// Package v1alpha1 contains the ReportedState API, group kubestellar.statefulsingleton.com,
// version v1alpha1: which KubeStellar WDS and ITS the reported-state reconciler connects.
//
// +kubebuilder:object:generate=true
// +groupName=kubestellar.statefulsingleton.com
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of the objects in this package.
	GroupVersion = schema.GroupVersion{Group: "kubestellar.statefulsingleton.com", Version: "v1alpha1"}

	// SchemeBuilder adds the types of this package to a scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the types of this package to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &ReportedState{}, &ReportedStateList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
