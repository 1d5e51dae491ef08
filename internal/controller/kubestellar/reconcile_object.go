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
	reported, pending := c.takePending(ref)
	g, found, err := c.gather(ctx, ref)
	if err != nil || !found {
		c.setMode(ref, modeNone, nil)
		if err != nil && pending {
			c.markPending(ref, reported)
		}
		return ctrl.Result{}, err
	}
	c.decidedFrom(ref, g.Object.GetResourceVersion())
	p, err := defaultDecider.decide(g.facts)
	if err != nil {
		return ctrl.Result{}, err
	}
	c.setMode(ref, p.Mode, p.Health)
	if p.Writes() == 0 {
		return ctrl.Result{}, nil
	}
	logger := log.FromContext(ctx).WithValues("object", klog.KObj(g.Object), "kind", g.Object.GetKind())
	c.writing(ref)
	w, err := applier{client: c.wds.GetClient()}.apply(ctx, g.Object, p)
	if c.wrote(ref, w.versions) {
		c.enqueue(ref) // changed by another writer meanwhile
	}
	for _, res := range w.results {
		statusWrites.WithLabelValues(res).Inc()
	}
	if err != nil || w.conflict() {
		if pending {
			c.markPending(ref, reported)
		}
		if err == nil {
			// The object changed since the cache saw it: its event queues it again; the retry
			// is for safety.
			logger.V(1).Info("Object changed meanwhile; deciding again")
			return ctrl.Result{RequeueAfter: conflictRetry}, nil
		}
		c.refusedWrite(ref, err)
		return ctrl.Result{}, err
	}
	c.acceptedWrite(ref)
	if pending {
		propagationLag.WithLabelValues(c.key.Namespace, c.key.Name).Observe(c.opts.Now().Sub(reported).Seconds())
	}
	logger.V(1).Info("Wrote reported state", "mode", p.Mode, "wecs", len(g.Reports))
	return ctrl.Result{}, nil
}

// conflictRetry is when an object whose write was refused as stale is decided again, at the
// latest: normally the watch event of the change that made it stale comes first.
const conflictRetry = time.Second

// defaultDecider uses the summary package.
var defaultDecider = decider{summarize: summary.Summarize, healthOf: summary.HealthOf}

// setMode records the mode of an object and its WECs' health, for the counts.
func (c *connection) setMode(ref objectRef, mode string, health []summary.Health) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.health.set(ref, health)
	if mode == modeNone {
		delete(c.modes, ref)
		delete(c.refused, ref)
		c.echoes.forget(ref)
		return
	}
	c.modes[ref] = mode
}

// markPending records that a WorkStatus of ref written at t waits to be returned; the earliest
// such time counts.
func (c *connection) markPending(ref objectRef, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.pending[ref]; !ok || t.Before(old) {
		c.pending[ref] = t
	}
}

// takePending returns and forgets the earliest pending report time of ref.
func (c *connection) takePending(ref objectRef) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.pending[ref]
	delete(c.pending, ref)
	return t, ok
}

// writing records that a reconcile is about to write ref (see echoes).
func (c *connection) writing(ref objectRef) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.echoes.writing(ref)
}

// wrote records the versions the writes of a reconcile of ref produced, and tells whether ref
// is to be queued again (see echoes).
func (c *connection) wrote(ref objectRef, versions []string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.echoes.wrote(ref, versions)
}

// decidedFrom records the version of ref a reconcile decided from (see echoes).
func (c *connection) decidedFrom(ref objectRef, version string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.echoes.decidedFrom(ref, version)
}

// isEcho tells whether an update of ref to version is the echo of the operator's write.
func (c *connection) isEcho(ref objectRef, version string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.echoes.isEcho(ref, version)
}
