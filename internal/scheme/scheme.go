// Package scheme builds the runtime.Scheme that holds every type the operator reads or writes.
package scheme

import (
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	kfv1alpha1 "github.com/kubestellar/kubeflex/api/v1alpha1"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	kubestellarv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
)

// New returns a scheme with the built-in Kubernetes types, the operator's own APIs and
// KubeFlex's ControlPlane.
func New() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(AddToScheme(s))
	return s
}

// AddToScheme adds every type the operator reads or writes to s.
func AddToScheme(s *runtime.Scheme) error {
	return builder.AddToScheme(s)
}

var builder = runtime.NewSchemeBuilder(
	clientgoscheme.AddToScheme,
	singletonv1.AddToScheme,
	kubestellarv1alpha1.AddToScheme,
	// KubeFlex's ControlPlanes, which a ReportedState may name its WDS and ITS by.
	kfv1alpha1.AddToScheme,
)
