package kubestellar

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// informerSyncTimeout bounds the wait for the first list of a resource's objects: a resource the
// WDS credentials can read but whose list never completes must not hold a worker for ever.
const informerSyncTimeout = 30 * time.Second

// cannotWatchRetry is when an object of a resource that cannot be watched is tried again, and
// how long the answer about a resource is kept: at most one access review of a resource per
// period, however many of its objects are asked for.
const cannotWatchRetry = 10 * time.Second

// errCannotWatch says that the WDS credentials cannot list or watch a resource; the object is
// tried again after cannotWatchRetry, and the Synced condition names the resource.
var errCannotWatch = errors.New("cannot watch")

// unwatchable keeps, by resource, why its objects cannot be watched with the WDS credentials,
// and when that was found.
type unwatchable map[schema.GroupResource]unwatchableResource

type unwatchableResource struct {
	err error
	at  time.Time
}

// names returns the resources, sorted, for the status.
func (u unwatchable) names() []string {
	names := make([]string, 0, len(u))
	for gr := range u {
		names = append(names, gr.String())
	}
	slices.Sort(names)
	return names
}

// canWatch asks the WDS whether its credentials may list and watch the objects of a resource in
// every namespace, as the cache does. A WDS that cannot answer the question (no
// SelfSubjectAccessReview) is given the benefit of the doubt: the bounded informer start tells.
func (c *connection) canWatch(ctx context.Context, gvr schema.GroupVersionResource) error {
	for _, verb := range []string{"list", "watch"} {
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: verb, Group: gvr.Group, Version: gvr.Version, Resource: gvr.Resource,
			},
		}}
		if err := c.wds.GetClient().Create(ctx, review); err != nil {
			c.log.V(1).Info("Cannot review the WDS credentials' access", "resource", gvr.String(), "error", err.Error())
			return nil
		}
		if !review.Status.Allowed {
			reason := review.Status.Reason
			if reason == "" {
				reason = "forbidden"
			}
			return fmt.Errorf("%w %s: the WDS credentials may not %s it (%s)", errCannotWatch, gvr.GroupResource(), verb, reason)
		}
	}
	return nil
}

// startInformer starts the informer of a resource's objects and waits, at most
// informerSyncTimeout, for its first list; on failure the informer is removed again, so that a
// later attempt starts afresh.
func (c *connection) startInformer(ctx context.Context, gvr schema.GroupVersionResource, u *unstructured.Unstructured,
) (err error) {
	c.lock()
	known, found := c.lockedState.unwatchable[gvr.GroupResource()]
	c.unlock()
	if found && time.Since(known.at) < cannotWatchRetry {
		return known.err
	}
	if err := c.canWatch(ctx, gvr); err != nil {
		return c.cannotWatch(gvr.GroupResource(), err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, informerSyncTimeout)
	defer cancel()
	if _, err = c.wds.GetCache().GetInformer(waitCtx, u); err == nil {
		c.lock()
		_, was := c.lockedState.unwatchable[gvr.GroupResource()]
		delete(c.lockedState.unwatchable, gvr.GroupResource())
		c.unlock()
		if was && c.notify != nil {
			c.notify()
		}
		return nil
	}
	if rmErr := c.wds.GetCache().RemoveInformer(ctx, u); rmErr != nil {
		c.log.Error(rmErr, "Removing an informer that did not sync", "resource", gvr.String())
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return c.cannotWatch(gvr.GroupResource(), fmt.Errorf("%w %s: its objects did not list within %s: %w",
		errCannotWatch, gvr.GroupResource(), informerSyncTimeout, err))
}

// cannotWatch records why a resource cannot be watched, tells the ReportedState when that is
// news, and returns err.
func (c *connection) cannotWatch(gr schema.GroupResource, err error) error {
	c.lock()
	_, known := c.lockedState.unwatchable[gr]
	c.lockedState.unwatchable[gr] = unwatchableResource{err: err, at: time.Now()}
	c.unlock()
	if !known {
		c.log.Info("Cannot watch a resource a Binding asks for", "resource", gr.String(), "error", err.Error())
		if c.notify != nil {
			c.notify()
		}
	}
	return err
}

// markedOnWDS reads the metadata of an object that no Binding asks for, to tell whether the
// operator (or KubeStellar) wrote on it, as its labels say (the sweep's test): only then is its
// kind worth watching, to clear it.
func (c *connection) markedOnWDS(ctx context.Context, gvr schema.GroupVersionResource, ref objectRef) (bool, error) {
	m, err := c.wdsMetadata.Resource(gvr).Namespace(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return markedByOperator(m.GetLabels()), nil
}
