package kubestellar

import (
	"context"
	"errors"

	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// settle ends a reconcile, whichever step it stopped at: it tells the book what came of it
// and returns what the work queue is to do with the object. With nothing to decide the object
// is forgotten; a reconcile that failed before writing puts its pending report back.
func (c *connection) settle(ctx context.Context, v visit, err error) (ctrl.Result, error) {
	switch {
	case v.object == nil: // nothing to decide, or gathering failed
		if c.book.forget(v.ref) && c.notify != nil {
			c.notify() // the RequestsValid condition counted it
		}
		if err != nil {
			c.book.restorePending(v.ref, v.pending)
		}
		if errors.Is(err, errCannotWatch) {
			// Said once, in the Synced condition; tried again at a steady pace, not with a
			// backoff that would leave the object for a quarter of an hour once allowed.
			return ctrl.Result{RequeueAfter: cannotWatchRetry}, nil
		}
		return ctrl.Result{}, err
	case v.plan == nil: // deciding failed
		c.book.decidedFrom(v.ref, v.object.GetResourceVersion())
		return ctrl.Result{}, err
	case v.plan.Writes() == 0:
		return ctrl.Result{}, nil
	}
	return c.settleWrite(ctx, v, err)
}

// settleWrite ends a reconcile that wrote: a write refused as stale is decided again, one the
// WDS refused is reported (refusedWrite) and retried with backoff, both keeping the pending
// report; a write that landed ends a refusal and observes the propagation lag.
func (c *connection) settleWrite(ctx context.Context, v visit, err error) (ctrl.Result, error) {
	logger := log.FromContext(ctx).WithValues("object", klog.KObj(v.object), "kind", v.object.GetKind())
	if err != nil || v.written.conflict() {
		c.book.restorePending(v.ref, v.pending)
		if err == nil {
			// The object changed since the cache saw it: its event queues it again; the retry
			// is for safety.
			logger.V(1).Info("Object changed meanwhile; deciding again")
			return ctrl.Result{RequeueAfter: conflictRetry}, nil
		}
		c.refusedWrite(v.ref, v.object, err)
		return ctrl.Result{}, err
	}
	if v.written.gone() || v.written.dropped {
		return c.settleGone(ctx, v), nil
	}
	c.book.accept(v.ref)
	if v.pending.ok {
		lag := c.opts.Now().Sub(v.pending.at)
		propagationLag.WithLabelValues(c.key.Namespace, c.key.Name, lagPathObject).Observe(lag.Seconds())
	}
	logger.V(1).Info("Wrote reported state", "mode", v.plan.Mode, "wecs", v.wecs)
	return ctrl.Result{}, nil
}

// settleGone ends a reconcile whose write found nothing (404: the object is gone, or its kind
// lost its status subresource) or whose status the API server dropped (its kind gained one):
// discovery is asked again for the kind's group and the object is decided again, with a backoff
// that grows with each such write in a row, up to goneRetryMax.
func (c *connection) settleGone(ctx context.Context, v visit) ctrl.Result {
	c.book.restorePending(v.ref, v.pending)
	c.forgetDiscovery(v.ref.Group)
	n := c.book.gone(v.ref)
	after := goneRetry(n)
	log.FromContext(ctx).V(1).Info("A write found no object or no status subresource; asking discovery again",
		"object", klog.KObj(v.object), "kind", v.object.GetKind(), "dropped", v.written.dropped, "inARow", n,
		"retryAfter", after)
	return ctrl.Result{RequeueAfter: after}
}
