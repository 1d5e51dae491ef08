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

// forgetDiscovery forgets what the memo knows of a group (see forgetGroup).
func (c *connection) forgetDiscovery(group string) {
	c.lock()
	defer c.unlock()
	c.lockedState.discovery.forgetGroup(group)
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
