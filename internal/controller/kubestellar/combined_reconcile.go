package kubestellar

import (
	"context"
	"errors"
	"k8s.io/apimachinery/pkg/util/json"
	"slices"
	"strconv"
	"strings"
	"time"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/singleton-operator/singleton-operator/internal/combinedstatus"
)

// The WDS access of the combined-status part (docs/design.md, R6).
// +kubebuilder:rbac:groups=control.kubestellar.io,resources=statuscollectors,verbs=get;list;watch
// +kubebuilder:rbac:groups=control.kubestellar.io,resources=statuscollectors/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=control.kubestellar.io,resources=bindingpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=control.kubestellar.io,resources=combinedstatuses,verbs=get;list;watch;create;update;patch;delete

// combinedReconciler keeps the CombinedStatus objects of one workload object, or checks one
// StatusCollector: gather (caches) -> decideCombined (pure) -> apply.
type combinedReconciler struct{ c *connection }

// Reconcile handles one item of the combined-status queue.
func (r combinedReconciler) Reconcile(ctx context.Context, item combinedItem) (ctrl.Result, error) {
	c := r.c
	if !c.bothUp() {
		// Decide only from caches that follow both clusters; the link's return queues nothing
		// here, so look again after a probe.
		return ctrl.Result{RequeueAfter: c.opts.ProbeInterval}, nil
	}
	if item.Collector != "" {
		return ctrl.Result{}, c.checkCollector(ctx, item.Collector)
	}
	if item.Binding != "" {
		stale, err := c.checkBinding(ctx, item.Binding)
		if stale {
			return ctrl.Result{RequeueAfter: conflictRetry}, nil
		}
		return ctrl.Result{}, err
	}
	pendingAt, pending := c.combined.takePending(item.Object)
	f, err := c.gatherCombined(ctx, item.Object)
	if err != nil {
		c.combined.restorePending(item.Object, pendingAt, pending)
		return ctrl.Result{}, err
	}
	again := c.tellCombinedWriters(item.Object, f.Existing)
	p := decideCombined(f)
	wrote, stale, err := c.applyCombined(ctx, f, p)
	if err != nil || stale {
		c.combined.restorePending(item.Object, pendingAt, pending)
		if err == nil {
			// A CombinedStatus changed since the cache saw it (often the cache catching up
			// with a write of ours): its event queues the object again; the retry is for safety.
			return ctrl.Result{RequeueAfter: conflictRetry}, nil
		}
		return ctrl.Result{}, err
	}
	if wrote && pending {
		propagationLag.WithLabelValues(c.key.Namespace, c.key.Name, lagPathCombinedStatus).Observe(c.opts.Now().Sub(pendingAt).Seconds())
	}
	// While KubeStellar's status controller is told to write too, look again once it has been
	// quiet long enough to end it.
	return ctrl.Result{RequeueAfter: again}, nil
}

// restorePending puts back a change not written because the reconcile failed.
func (p *combinedPart) restorePending(ref objectRef, at time.Time, ok bool) {
	if ok {
		p.markPending(ref, at)
	}
}

// gatherCombined reads from the caches what decideCombined needs about ref.
func (c *connection) gatherCombined(ctx context.Context, ref objectRef) (combinedFacts, error) {
	f := combinedFacts{Ref: ref}
	wds := c.wds.GetCache()
	key := ref.String()
	f.Existing = c.combined.combinedByObject.lookup(key)
	bindings := c.combined.bindingsByCollected.lookup(key)
	if len(bindings) == 0 {
		return f, nil
	}
	slices.SortFunc(bindings, func(a, b *controlv1alpha1.Binding) int { return strings.Compare(a.Name, b.Name) })
	obj, err := c.combinedObject(ctx, ref, bindings[0])
	if err != nil || obj == nil {
		return f, err
	}
	f.Object = obj
	workStatuses := c.workStatusesBySource.lookup(key)
	slices.SortFunc(workStatuses, byName)
	for _, b := range bindings {
		names, _, _ := entryCollectors(b, ref)
		cb := combinedBinding{Name: b.Name}
		policy := &controlv1alpha1.BindingPolicy{}
		switch err := wds.Get(ctx, client.ObjectKey{Name: b.Name}, policy); {
		case apierrors.IsNotFound(err):
		case err != nil:
			return f, err
		default:
			cb.PolicyUID = policy.UID
		}
		for _, name := range names {
			sc := &controlv1alpha1.StatusCollector{}
			if err := wds.Get(ctx, client.ObjectKey{Name: name}, sc); err != nil {
				if apierrors.IsNotFound(err) {
					continue
				}
				return f, err
			}
			if coll, _ := c.combined.collectors.Get(sc); coll != nil {
				cb.Collectors = append(cb.Collectors, coll)
			}
		}
		cb.Reports = c.combinedReports(workStatuses, b.Spec.Destinations)
		f.Bindings = append(f.Bindings, cb)
	}
	return f, nil
}

// combinedObject reads the workload object from the WDS cache, watching its kind (at the
// version the first Binding names) if nothing does yet; nil when it or its kind is gone.
func (c *connection) combinedObject(ctx context.Context, ref objectRef, b *controlv1alpha1.Binding,
) (*unstructured.Unstructured, error) {
	_, version, _ := entryCollectors(b, ref)
	gvr, gvk, err := c.resolve(ref.GroupResource(), version)
	if meta.IsNoMatchError(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := c.watchObjects(ctx, gvr, gvk); err != nil {
		return nil, err
	}
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(gvk)
	if err := c.wds.GetCache().Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, obj); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	return obj, nil
}

// combinedReports are the valid WorkStatuses of the destinations among items (one object's,
// sorted by name), one per WEC (the first by name), as the evaluator reads them.
func (c *connection) combinedReports(items []*WorkStatus, dests []controlv1alpha1.Destination) []combinedstatus.Report {
	var reports []combinedstatus.Report
	for _, ws := range items {
		if !slices.ContainsFunc(dests, func(d controlv1alpha1.Destination) bool { return d.ClusterId == ws.Namespace }) {
			continue
		}
		if slices.ContainsFunc(reports, func(r combinedstatus.Report) bool { return r.WEC == ws.Namespace }) {
			continue
		}
		if validateWorkStatus(ws, c.opts.MaxStatusBytes, nil) != nil {
			continue
		}
		status, ok := ws.statusMap()
		if !ok {
			continue
		}
		reports = append(reports, combinedstatus.Report{WEC: ws.Namespace, Status: status, Written: ws.written})
	}
	return reports
}

// applyCombined writes the plan: creates and updates pinned to the version read (a conflict
// is decided again: the change's watch event queues it), deletes pinned to the UID read.
// wrote tells whether a CombinedStatus was created or updated, stale whether a write was
// refused because the CombinedStatus had changed meanwhile.
func (c *connection) applyCombined(ctx context.Context, f combinedFacts, p combinedPlan) (wrote, stale bool, err error) {
	logger := log.FromContext(ctx)
	cl := c.wds.GetClient()
	old := map[string]*controlv1alpha1.CombinedStatus{}
	for _, cs := range f.Existing {
		old[cs.Name] = cs
	}
	for _, cs := range p.Write {
		var werr error
		result := combinedCreated
		if cs.ResourceVersion == "" {
			werr = cl.Create(ctx, cs, client.FieldOwner(FieldManager))
		} else {
			result = combinedUpdated
			werr = cl.Update(ctx, cs, client.FieldOwner(FieldManager))
		}
		switch {
		case apierrors.IsConflict(werr), apierrors.IsAlreadyExists(werr), apierrors.IsNotFound(werr) && cs.ResourceVersion != "":
			combinedWrites.WithLabelValues(combinedConflict).Inc()
			logger.V(1).Info("CombinedStatus changed meanwhile; deciding again", "combinedStatus", klog.KObj(cs))
			stale = true
			continue
		case werr != nil:
			combinedWrites.WithLabelValues(combinedError).Inc()
			err = errors.Join(err, werr)
			continue
		}
		combinedWrites.WithLabelValues(result).Inc()
		wrote = true
		logger.V(1).Info("Wrote CombinedStatus", "combinedStatus", klog.KObj(cs), "result", result)
		c.tellEvaluationErrors(old[cs.Name], cs)
	}
	for _, cs := range p.Delete {
		derr := cl.Delete(ctx, cs, client.Preconditions{UID: &cs.UID})
		switch {
		case apierrors.IsNotFound(derr):
		case apierrors.IsConflict(derr):
			combinedWrites.WithLabelValues(combinedConflict).Inc()
			stale = true
		case derr != nil:
			combinedWrites.WithLabelValues(combinedError).Inc()
			err = errors.Join(err, derr)
		default:
			combinedWrites.WithLabelValues(combinedDeleted).Inc()
			logger.V(1).Info("Deleted CombinedStatus", "combinedStatus", klog.KObj(cs))
		}
	}
	return wrote, stale, err
}

// tellEvaluationErrors records a warning event for each result of cs that has evaluation
// errors that its previous version (old, nil when it is new) did not have.
func (c *connection) tellEvaluationErrors(old, cs *controlv1alpha1.CombinedStatus) {
	if c.warnAbout == nil {
		return
	}
	for _, r := range cs.Results {
		if len(r.RowErrors) == 0 && len(r.AggregationErrors) == 0 {
			continue
		}
		if old != nil && slices.ContainsFunc(old.Results, func(o controlv1alpha1.NamedStatusCombination) bool {
			return o.Name == r.Name && (len(o.RowErrors) > 0 || len(o.AggregationErrors) > 0)
		}) {
			continue
		}
		msg := ""
		if len(r.RowErrors) > 0 {
			e := r.RowErrors[0]
			msg = "WEC " + e.WEC.ClusterId + ", column " + strconv.Quote(e.ColumnName) + ": " + e.Error
		} else {
			e := r.AggregationErrors[0]
			msg = "column " + strconv.Quote(e.ColumnName) + ": " + e.Error
		}
		c.warnAbout(cs, "StatusCollectorEvaluationFailed", "Evaluate",
			"StatusCollector %s failed for CombinedStatus %s/%s: %s", r.Name, cs.Namespace, cs.Name, msg)
	}
}

// checkCollector compiles a StatusCollector and writes what is wrong with it into its
// status.errors, as KubeStellar does, with a warning event when its errors change to some.
func (c *connection) checkCollector(ctx context.Context, name string) error {
	sc := &controlv1alpha1.StatusCollector{}
	if err := c.wds.GetCache().Get(ctx, client.ObjectKey{Name: name}, sc); err != nil {
		if apierrors.IsNotFound(err) {
			c.combined.collectors.Forget(name)
			return nil
		}
		return err
	}
	_, errs := c.combined.collectors.Get(sc)
	if slices.Equal(errs, sc.Status.Errors) && sc.Status.ObservedGeneration == sc.Generation {
		return nil
	}
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"uid": sc.UID, "resourceVersion": sc.ResourceVersion},
		"status":   map[string]any{"observedGeneration": sc.Generation, "errors": errs},
	})
	if err != nil {
		return err
	}
	target := &controlv1alpha1.StatusCollector{ObjectMeta: metav1.ObjectMeta{Name: name}}
	err = c.wds.GetClient().Status().Patch(ctx, target, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(FieldManager))
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil // changed or deleted meanwhile: its event queues it again
	}
	if err != nil {
		return err
	}
	if len(errs) > 0 && c.warnAbout != nil {
		c.warnAbout(sc, "StatusCollectorInvalid", "Compile", "StatusCollector %s is invalid: %s", name, strings.Join(errs, "; "))
	}
	return nil
}
