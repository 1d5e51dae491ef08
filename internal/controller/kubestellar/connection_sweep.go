package kubestellar

import (
	"context"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
)

// sweepLabels are the labels that mark an object whose status the operator or KubeStellar may
// have written. Objects carrying any of them are queued once the caches are synced, so that what
// the operator wrote on an object no Binding asks for any more (for example while the operator
// was down) is removed, whichever marker it carries.
var sweepLabels = []string{LabelExecutingCount, LabelSingletonStatus, LabelMultiWECStatus}

// sweep queues every WDS object that carries one of sweepLabels. It reads only object metadata.
func (c *connection) sweep(ctx context.Context) error {
	lists, err := c.wdsDiscovery.ServerPreferredResources()
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return err
	}
	for _, list := range lists {
		if list == nil {
			continue
		}
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			continue
		}
		for i := range list.APIResources {
			r := &list.APIResources[i]
			if !slices.Contains(r.Verbs, "list") || !slices.Contains(r.Verbs, "patch") {
				continue
			}
			if err := c.sweepResource(ctx, gv.WithResource(r.Name)); err != nil {
				c.log.V(1).Info("Cannot list a resource for the sweep", "resource", r.Name, "error", err.Error())
			}
		}
	}
	return nil
}

func (c *connection) sweepResource(ctx context.Context, gvr schema.GroupVersionResource) error {
	for _, label := range sweepLabels {
		list, err := c.wdsMetadata.Resource(gvr).List(ctx, metav1.ListOptions{LabelSelector: label})
		if err != nil {
			return err
		}
		for i := range list.Items {
			m := &list.Items[i]
			c.enqueue(objectRef{Group: gvr.Group, Resource: gvr.Resource, Namespace: m.Namespace, Name: m.Name})
		}
	}
	return nil
}
