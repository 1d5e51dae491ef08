package kubestellar

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// discoveryMemo is the discovery part of a connection's locked state: for each group version
// asked about, whether each of its resources has a status subresource.
type discoveryMemo map[schema.GroupVersion]map[string]bool

// lookup tells whether gvr has a status subresource, when the memo knows (seen).
func (m discoveryMemo) lookup(gvr schema.GroupVersionResource) (has, seen bool) {
	has, seen = m[gvr.GroupVersion()][gvr.Resource]
	return has, seen
}

// remember keeps what is known of a group version's resources, in place of what was.
func (m discoveryMemo) remember(gv schema.GroupVersion, known map[string]bool) {
	m[gv] = known
}

// forgetGroup forgets what is known of every version of a group, so that discovery is asked
// again: after a write found no status subresource, or found one where none was known.
func (m discoveryMemo) forgetGroup(group string) {
	for gv := range m {
		if gv.Group == group {
			delete(m, gv)
		}
	}
}

// forgetDiscovery forgets what the memos know of a group (see forgetGroup): whether its
// resources have a status subresource, and their versions and kinds.
func (c *connection) forgetDiscovery(group string) {
	c.lock()
	defer c.unlock()
	c.lockedState.discovery.forgetGroup(group)
	c.lockedState.mappings.forgetGroup(group)
}

// mappingKey is what resolve is asked: a resource, at a version or ("") its preferred one.
type mappingKey struct {
	resource schema.GroupResource
	version  string
}

// mapping is what resolve answered.
type mapping struct {
	gvr schema.GroupVersionResource
	gvk schema.GroupVersionKind
}

// mappingMemo is the mapping part of a connection's locked state: the versions and kinds the
// WDS's REST mapper gave for the resources asked about. The mapper answers from its own cache
// too, but each answer walks every group it knows and allocates an error for each that does not
// serve the resource: asked on every reconcile, that was a tenth of the operator's allocations.
type mappingMemo map[mappingKey]mapping

// forgetGroup forgets the mappings of a group's resources, with what discovery said of them.
func (m mappingMemo) forgetGroup(group string) {
	for k := range m {
		if k.resource.Group == group {
			delete(m, k)
		}
	}
}

// statusSubresources tells, for each resource discovery listed, whether it has a status
// subresource.
func statusSubresources(list *metav1.APIResourceList) map[string]bool {
	known := map[string]bool{}
	for i := range list.APIResources {
		name := list.APIResources[i].Name
		if base, sub, ok := strings.Cut(name, "/"); ok {
			if sub == keyStatus {
				known[base] = true
			}
		} else if _, seen := known[name]; !seen {
			known[name] = false
		}
	}
	return known
}

// hasStatusSubresource asks discovery (once per group version) whether a resource has a
// status subresource.
func (c *connection) hasStatusSubresource(gvr schema.GroupVersionResource) (bool, error) {
	c.lock()
	has, seen := c.lockedState.discovery.lookup(gvr)
	c.unlock()
	if seen {
		return has, nil
	}
	gv := gvr.GroupVersion()
	list, err := c.wdsDiscovery.ServerResourcesForGroupVersion(gv.String())
	if err != nil {
		return false, err
	}
	known := statusSubresources(list)
	c.lock()
	c.lockedState.discovery.remember(gv, known)
	c.unlock()
	return known[gvr.Resource], nil
}
