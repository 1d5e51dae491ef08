package kubestellar

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// objectRef names a workload object in the WDS, whatever version it is read at. It is the key
// of the work queue and of the cache indexes.
type objectRef struct {
	Group     string
	Resource  string
	Namespace string
	Name      string
}

// GroupResource is the object's group and resource.
func (r objectRef) GroupResource() schema.GroupResource {
	return schema.GroupResource{Group: r.Group, Resource: r.Resource}
}

// String is the index key: group/resource/namespace/name.
func (r objectRef) String() string {
	return r.Group + "/" + r.Resource + "/" + r.Namespace + "/" + r.Name
}
