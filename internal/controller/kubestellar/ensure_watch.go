package kubestellar

import (
	"context"
	"slices"
	"strings"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// target is the kind of a WDS object, as ensureWatch found it: what the Bindings that name the
// object ask for (their version chooses the kind), and the resource and kind it is read at.
type target struct {
	wants wants
	gvr   schema.GroupVersionResource
	gvk   schema.GroupVersionKind
}

// ensureWatch finds the kind of ref (the version its Bindings name, else the preferred one) and
// makes sure the objects of that kind are watched, so that gather reads them from a cache that
// follows them. found is false when the WDS does not serve the resource (any more), and when no
// Binding asks for ref and nothing on it was written by the operator: a WorkStatus naming an
// object no Binding asks for starts no watch (it would cache every object of its kind).
func (c *connection) ensureWatch(ctx context.Context, ref objectRef) (t target, found bool, err error) {
	bindings := c.bindingsByObject.lookup(ref.String())
	// The first by name chooses the version, as it chooses the CombinedStatus's object.
	slices.SortFunc(bindings, func(a, b *controlv1alpha1.Binding) int { return strings.Compare(a.Name, b.Name) })
	t.wants = wantsOf(bindings, ref)
	t.gvr, t.gvk, err = c.resolve(ref.GroupResource(), t.wants.Version)
	if meta.IsNoMatchError(err) {
		return t, false, nil
	}
	if err != nil {
		return t, false, err
	}
	if !t.wants.Any() && !c.isWatched(t.gvr) {
		marked, err := c.markedOnWDS(ctx, t.gvr, ref)
		if err != nil || !marked {
			return t, false, err
		}
	}
	return t, true, c.watchObjects(ctx, t.gvr, t.gvk)
}

// isWatched tells whether the objects of a resource are watched already.
func (c *connection) isWatched(gvr schema.GroupVersionResource) bool {
	c.lock()
	defer c.unlock()
	return c.lockedState.watched[gvr]
}

// resolve finds the version (the Binding's, else the preferred one) and the kind of a resource,
// from the memo when it was found before: the memo forgets a group when a write shows that
// discovery changed for it (forgetDiscovery), as the REST mapper's own cache would otherwise
// answer the same until it misses. A resource not served is not remembered.
func (c *connection) resolve(gr schema.GroupResource, version string,
) (schema.GroupVersionResource, schema.GroupVersionKind, error) {
	key := mappingKey{resource: gr, version: version}
	c.lock()
	m, seen := c.lockedState.mappings[key]
	c.unlock()
	if seen {
		return m.gvr, m.gvk, nil
	}
	mapper := c.wds.GetRESTMapper()
	gvr := gr.WithVersion(version)
	if version == "" {
		var err error
		if gvr, err = mapper.ResourceFor(gr.WithVersion("")); err != nil {
			return gvr, schema.GroupVersionKind{}, err
		}
	}
	gvk, err := mapper.KindFor(gvr)
	if err != nil {
		return gvr, gvk, err
	}
	c.lock()
	c.lockedState.mappings[key] = mapping{gvr: gvr, gvk: gvk}
	c.unlock()
	return gvr, gvk, nil
}

// watchObjects starts watching the workload objects of a resource, once: their changes queue
// them, when a Binding asks for them or the operator wrote them. A resource the WDS credentials
// cannot list or watch, or whose first list does not complete in time, is an error (see
// startInformer): no worker waits on it.
func (c *connection) watchObjects(ctx context.Context, gvr schema.GroupVersionResource, gvk schema.GroupVersionKind,
) error {
	if c.isWatched(gvr) {
		return nil
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := c.startInformer(ctx, gvr, u); err != nil {
		return err
	}
	inf, err := c.wds.GetCache().GetInformer(ctx, u)
	if err != nil {
		return err
	}
	gr := gvr.GroupResource()
	c.lock()
	defer c.unlock()
	if c.lockedState.watched[gvr] {
		return nil
	}
	c.lockedState.watched[gvr] = true
	_, err = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { c.objectChanged(gr, o, false) },
		UpdateFunc: func(_, o any) { c.objectChanged(gr, o, true) },
		DeleteFunc: func(o any) {
			if tomb, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
				o = tomb.Obj
			}
			c.objectChanged(gr, o, false) // its reconcile forgets it
		},
	})
	return err
}

// objectChanged queues a workload object that some Binding asks for or that the operator
// labeled, unless the update is the echo of the operator's own write.
func (c *connection) objectChanged(gr schema.GroupResource, o any, update bool) {
	obj, ok := o.(client.Object)
	if !ok {
		return
	}
	ref := objectRef{Group: gr.Group, Resource: gr.Resource, Namespace: obj.GetNamespace(), Name: obj.GetName()}
	c.combinedObjectChanged(ref) // its collectors' expressions may read it
	if update && c.book.isEcho(ref, obj.GetResourceVersion()) {
		return
	}
	if !markedByOperator(obj.GetLabels()) && !c.asked(ref) {
		return
	}
	c.enqueue(ref)
}

// markedByOperator tells whether labels carry one of sweepLabels: the operator (or KubeStellar)
// may have written the object's status. A multi-WEC object carries no executing count.
func markedByOperator(labels map[string]string) bool {
	for _, l := range sweepLabels {
		if _, has := labels[l]; has {
			return true
		}
	}
	return false
}

// asked tells whether some Binding names ref with a flag.
func (c *connection) asked(ref objectRef) bool {
	return c.bindingsByObject.has(ref.String())
}
