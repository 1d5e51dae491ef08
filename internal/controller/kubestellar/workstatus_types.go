package kubestellar

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// workStatusGVK is KubeStellar's WorkStatus, in the ITS (config/kubestellar has a CRD for tests).
var workStatusGVK = schema.GroupVersionKind{Group: "control.kubestellar.io", Version: "v1alpha1", Kind: "WorkStatus"}

// Labels and names that KubeStellar defines.
const (
	// labelOriginWDS names the WDS a WorkStatus belongs to.
	labelOriginWDS = "transport.kubestellar.io/originWdsName"
)

// WorkStatus is the ITS object that carries one WEC object's .status (namespace = the WEC), as
// ocm-status-addon's status agent writes it (config/kubestellar has its CRD for tests). Its
// status arrives as raw JSON; in the cache it is held in reported (holdStatus), decoded by its
// first reader, and the reports read it through statusMap. Its statusDetails (how far the
// propagation to the WEC has gone) is not read, as KubeStellar's own status controller does
// not read it either.
type WorkStatus struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              WorkStatusSpec        `json:"spec,omitempty"`
	Status            *runtime.RawExtension `json:"status,omitempty"`

	// written is when the WEC's status was written into this object, as well as the operator
	// can tell (see writtenTime); set when the object enters the cache, never serialized.
	written time.Time `json:"-"`
	// reported holds Status once the object is in the cache (Status is then nil): shared by
	// the cache's copies, never serialized.
	reported *reportedStatus `json:"-"`
}

// WorkStatusSpec names the WDS object whose status a WorkStatus carries.
type WorkStatusSpec struct {
	SourceRef SourceRef `json:"sourceRef,omitempty"`
}

// SourceRef names a workload object of the WDS.
type SourceRef struct {
	Group     string `json:"group,omitempty"`
	Version   string `json:"version,omitempty"`
	Resource  string `json:"resource,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
}

// WorkStatusList is a list of WorkStatus.
type WorkStatusList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []WorkStatus `json:"items"`
}

// ref is the WDS object the WorkStatus names.
func (w *WorkStatus) ref() objectRef {
	s := w.Spec.SourceRef
	return objectRef{Group: s.Group, Resource: s.Resource, Namespace: s.Namespace, Name: s.Name}
}

// DeepCopyInto copies w into out.
func (w *WorkStatus) DeepCopyInto(out *WorkStatus) {
	*out = *w
	out.TypeMeta = w.TypeMeta
	w.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	if w.Status != nil {
		out.Status = w.Status.DeepCopy()
	}
	if w.reported != nil {
		out.reported = w.reported.deepCopy()
	}
}

// DeepCopy returns a copy of w.
func (w *WorkStatus) DeepCopy() *WorkStatus {
	if w == nil {
		return nil
	}
	out := new(WorkStatus)
	w.DeepCopyInto(out)
	return out
}

// DeepCopyObject implements runtime.Object.
func (w *WorkStatus) DeepCopyObject() runtime.Object { return w.DeepCopy() }

// DeepCopyObject implements runtime.Object.
func (l *WorkStatusList) DeepCopyObject() runtime.Object {
	if l == nil {
		return nil
	}
	out := &WorkStatusList{TypeMeta: l.TypeMeta}
	l.DeepCopyInto(&out.ListMeta)
	if l.Items != nil {
		out.Items = make([]WorkStatus, len(l.Items))
		for i := range l.Items {
			l.Items[i].DeepCopyInto(&out.Items[i])
		}
	}
	return out
}

// addWorkStatusToScheme registers WorkStatus under control.kubestellar.io/v1alpha1.
func addWorkStatusToScheme(s *runtime.Scheme) {
	gv := workStatusGVK.GroupVersion()
	s.AddKnownTypes(gv, &WorkStatus{}, &WorkStatusList{})
	metav1.AddToGroupVersion(s, gv)
}
