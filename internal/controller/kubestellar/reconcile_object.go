package kubestellar

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
)

// objectReconciler reconciles one WDS object of a connection: gather, decide, apply.
type objectReconciler struct{ c *connection }

// visit is one reconcile of a WDS object, as far as it came; settle reads it.
type visit struct {
	ref objectRef
	// pending is the report taken from the book before gathering.
	pending pendingReport
	// object is what gather read; nil when there was nothing to decide or gathering failed.
	object *unstructured.Unstructured
	// wecs is the number of WECs that report the object.
	wecs int
	// plan is what decide returned; nil until it did.
	plan *plan
	// written is what apply's writes did.
	written written
}

// Reconcile decides and writes the reported state of one WDS object: gather -> decide -> apply.
// The book is read once before (the object's pending report) and told once after (settle) how
// the reconcile ended; apply records the decision and the echoes of its own writes.
func (r objectReconciler) Reconcile(ctx context.Context, ref objectRef) (ctrl.Result, error) {
	c := r.c
	if !c.bothUp() {
		// Decide only from caches that follow both clusters: what the WDS shows stays as it is.
		c.deferObject(ref)
		return ctrl.Result{}, nil
	}
	// Taken before gathering: a WorkStatus change seen later queues the object again.
	v := visit{ref: ref, pending: c.book.takePending(ref)}
	t, found, err := c.ensureWatch(ctx, ref)
	if err != nil || !found {
		return c.settle(ctx, v, err)
	}
	g, found, err := c.gather(ctx, ref, t)
	if err != nil || !found {
		return c.settle(ctx, v, err)
	}
	v.object, v.wecs = g.Object, len(g.Reports)
	p, err := decide(g)
	if err != nil {
		return c.settle(ctx, v, err)
	}
	v.plan = &p
	v.written, err = c.apply(ctx, ref, g.Object, p)
	return c.settle(ctx, v, err)
}

// apply records in the book the decision p about ref, made from obj (the counts read its mode
// and WECs' health, the echoes its version), then sends p's patches, if any. While they are
// under way the book holds the watch events of ref; ref is queued again when one of them was
// not the echo of these writes (see echoes).
func (c *connection) apply(ctx context.Context, ref objectRef, obj *unstructured.Unstructured, p plan,
) (written, error) {
	c.tellDecision(ref, obj, p) // before decided, which forgets the notes of an object no longer asked for
	c.book.decided(ref, obj.GetResourceVersion(), p.Mode, p.Health)
	if p.Writes() == 0 {
		return written{}, nil
	}
	c.book.writing(ref)
	gvr := ref.GroupResource().WithVersion(obj.GroupVersionKind().Version) // the version it was read at
	w, err := applier{client: c.wdsWriter}.apply(ctx, gvr, obj, p)
	if c.book.wrote(ref, w.versions) {
		c.enqueue(ref) // changed by another writer meanwhile
	}
	for _, res := range w.results {
		statusWrites.WithLabelValues(res).Inc()
	}
	return w, err
}

// conflictRetry is when an object whose write was refused as stale is decided again, at the
// latest: normally the watch event of the change that made it stale comes first.
const conflictRetry = time.Second

// goneRetryMax bounds the backoff of an object whose writes find nothing (404).
const goneRetryMax = time.Minute

// goneRetry is when an object whose n-th write in a row found nothing (404) is decided again:
// conflictRetry, doubling, at most goneRetryMax. Normally the deletion's watch event comes first.
func goneRetry(n int) time.Duration {
	d := conflictRetry
	for i := 1; i < n && d < goneRetryMax; i++ {
		d *= 2
	}
	return min(d, goneRetryMax)
}
