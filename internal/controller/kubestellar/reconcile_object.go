package kubestellar

import (
	"context"
	"time"

	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/singleton-operator/singleton-operator/internal/summary"
)

// objectReconciler reconciles one WDS object of a connection: gather, decide, apply.
type objectReconciler struct{ c *connection }

// Reconcile decides and writes the reported state of one WDS object.
func (r objectReconciler) Reconcile(ctx context.Context, ref objectRef) (ctrl.Result, error) {
	c := r.c
	if !c.bothUp() {
		// Decide only from caches that follow both clusters: what the WDS shows stays as it is.
		c.deferObject(ref)
		return ctrl.Result{}, nil
	}
	// Taken before gathering: a WorkStatus change seen later queues the object again.
	pending := c.book.takePending(ref)
	t, found, err := c.ensureWatch(ctx, ref)
	var g gathered
	if err == nil && found {
		g, found, err = c.gather(ctx, ref, t)
	}
	if err != nil || !found {
		c.book.forget(ref)
		if err != nil {
			c.book.restorePending(ref, pending)
		}
		return ctrl.Result{}, err
	}
	version := g.Object.GetResourceVersion()
	c.book.decidedFrom(ref, version)
	p, err := defaultDecider.decide(g.facts)
	if err != nil {
		return ctrl.Result{}, err
	}
	c.book.decided(ref, version, p.Mode, p.Health)
	if p.Writes() == 0 {
		return ctrl.Result{}, nil
	}
	logger := log.FromContext(ctx).WithValues("object", klog.KObj(g.Object), "kind", g.Object.GetKind())
	c.book.writing(ref)
	w, err := applier{client: c.wds.GetClient()}.apply(ctx, g.Object, p)
	if c.book.wrote(ref, w.versions) {
		c.enqueue(ref) // changed by another writer meanwhile
	}
	for _, res := range w.results {
		statusWrites.WithLabelValues(res).Inc()
	}
	if err != nil || w.conflict() {
		c.book.restorePending(ref, pending)
		if err == nil {
			// The object changed since the cache saw it: its event queues it again; the retry
			// is for safety.
			logger.V(1).Info("Object changed meanwhile; deciding again")
			return ctrl.Result{RequeueAfter: conflictRetry}, nil
		}
		c.refusedWrite(ref, err)
		return ctrl.Result{}, err
	}
	c.book.accept(ref)
	if pending.ok {
		propagationLag.WithLabelValues(c.key.Namespace, c.key.Name).Observe(c.opts.Now().Sub(pending.at).Seconds())
	}
	logger.V(1).Info("Wrote reported state", "mode", p.Mode, "wecs", len(g.Reports))
	return ctrl.Result{}, nil
}

// conflictRetry is when an object whose write was refused as stale is decided again, at the
// latest: normally the watch event of the change that made it stale comes first.
const conflictRetry = time.Second

// defaultDecider uses the summary package.
var defaultDecider = decider{summarize: summary.Summarize, healthOf: summary.HealthOf}
