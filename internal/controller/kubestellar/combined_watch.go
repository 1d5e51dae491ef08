package kubestellar

import (
	"context"
	"sync"
	"time"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/singleton-operator/singleton-operator/internal/combinedstatus"
)

// Index names of the combined-status part.
const (
	// indexBindingCollected indexes Bindings by the objects whose entry names StatusCollectors.
	indexBindingCollected = "combinedstatus.objects"
	// indexBindingCollectors indexes Bindings by the StatusCollectors their entries name.
	indexBindingCollectors = "combinedstatus.collectors"
	// indexCombinedFor indexes CombinedStatus objects by the object their labels name.
	indexCombinedFor = "combinedstatus.object"
)

// combinedItem is the key of the combined-status work queue, one of: a workload object whose
// CombinedStatus objects to compute, a StatusCollector to check, a Binding whose
// StatusCollectorsAvailable condition to keep.
type combinedItem struct {
	Object    objectRef
	Collector string
	Binding   string
}

type combinedQueue = workqueue.TypedRateLimitingInterface[combinedItem]

// combinedPart keeps KubeStellar's CombinedStatus objects of a connection (docs/design.md, R6):
// its own work queue over the connection's clusters and caches, the compiled collectors, and
// when the WorkStatus changes not yet written into a CombinedStatus were written (for the lag).
type combinedPart struct {
	ctrl       controller.TypedController[combinedItem]
	collectors *combinedstatus.Cache
	// bindingsByCollected indexes Bindings by the objects whose entry names StatusCollectors,
	// bindingsByCollector by the StatusCollectors their entries name, combinedByObject the
	// CombinedStatus objects by the object their labels name.
	bindingsByCollected index[*controlv1alpha1.Binding]
	bindingsByCollector index[*controlv1alpha1.Binding]
	combinedByObject    index[*controlv1alpha1.CombinedStatus]

	mu      sync.Mutex
	queue   combinedQueue
	pending map[objectRef]time.Time
}

// combinedResources are the KubeStellar resources the part needs in the WDS.
var combinedResources = []schema.GroupVersionResource{
	controlv1alpha1.GroupVersion.WithResource("statuscollectors"),
	controlv1alpha1.GroupVersion.WithResource("combinedstatuses"),
	controlv1alpha1.GroupVersion.WithResource("bindingpolicies"),
}

// setupCombined builds the combined-status part, when the WDS serves KubeStellar's
// StatusCollector and CombinedStatus (an older KubeStellar does not: then there is none).
func (c *connection) setupCombined(ctx context.Context) error {
	for _, gvr := range combinedResources {
		if _, err := c.wds.GetRESTMapper().KindFor(gvr); err != nil {
			c.log.Info("The WDS serves no KubeStellar combined status; not keeping CombinedStatus objects", "missing", gvr.Resource)
			return nil
		}
	}
	p := &combinedPart{collectors: combinedstatus.NewCache(), pending: map[objectRef]time.Time{}}
	wdsCache := c.wds.GetCache()
	var err error
	if p.bindingsByCollected, err = addIndex(ctx, wdsCache, &controlv1alpha1.Binding{}, indexBindingCollected,
		collectedKeys); err != nil {
		return err
	}
	if p.bindingsByCollector, err = addIndex(ctx, wdsCache, &controlv1alpha1.Binding{}, indexBindingCollectors,
		collectorNames); err != nil {
		return err
	}
	if p.combinedByObject, err = addIndex(ctx, wdsCache, &controlv1alpha1.CombinedStatus{}, indexCombinedFor,
		func(cs *controlv1alpha1.CombinedStatus) []string {
			if ref, ok := combinedSubject(cs.Labels); ok {
				return []string{ref.String()}
			}
			return nil
		}); err != nil {
		return err
	}
	p.ctrl, err = controller.NewTypedUnmanaged[combinedItem]("combinedstatus-"+c.key.Namespace+"-"+c.key.Name,
		controller.TypedOptions[combinedItem]{
			Reconciler:              combinedReconciler{c: c},
			MaxConcurrentReconciles: c.opts.Workers,
			Logger:                  c.log.WithName("combinedstatus"),
			CacheSyncTimeout:        30 * time.Minute,
			SkipNameValidation:      ptr.To(true),
			NeedLeaderElection:      ptr.To(false),
		})
	if err != nil {
		return err
	}
	wds, its := c.wds.GetCache(), c.its.GetCache()
	watches := []source.TypedSource[combinedItem]{
		source.TypedFunc[combinedItem](func(_ context.Context, q combinedQueue) error {
			p.mu.Lock()
			p.queue = q
			p.mu.Unlock()
			return nil
		}),
		source.TypedKind(wds, &controlv1alpha1.Binding{}, combinedBindingHandler{}),
		source.TypedKind(its, &WorkStatus{}, combinedWorkStatusHandler{c: c}),
		source.TypedKind(wds, &controlv1alpha1.StatusCollector{}, handler.TypedFuncs[*controlv1alpha1.StatusCollector, combinedItem]{
			CreateFunc: func(ctx context.Context, e event.TypedCreateEvent[*controlv1alpha1.StatusCollector], q combinedQueue) {
				c.collectorChanged(e.Object.Name, q)
			},
			UpdateFunc: func(ctx context.Context, e event.TypedUpdateEvent[*controlv1alpha1.StatusCollector], q combinedQueue) {
				if e.ObjectOld.Generation == e.ObjectNew.Generation {
					q.Add(combinedItem{Collector: e.ObjectNew.Name}) // its status changed, not its spec
					return
				}
				c.collectorChanged(e.ObjectNew.Name, q)
			},
			DeleteFunc: func(ctx context.Context, e event.TypedDeleteEvent[*controlv1alpha1.StatusCollector], q combinedQueue) {
				c.collectorChanged(e.Object.Name, q)
			},
		}),
		source.TypedKind(wds, &controlv1alpha1.BindingPolicy{}, handler.TypedFuncs[*controlv1alpha1.BindingPolicy, combinedItem]{
			CreateFunc: func(ctx context.Context, e event.TypedCreateEvent[*controlv1alpha1.BindingPolicy], q combinedQueue) {
				c.policyChanged(ctx, e.Object.Name, q)
			},
			DeleteFunc: func(ctx context.Context, e event.TypedDeleteEvent[*controlv1alpha1.BindingPolicy], q combinedQueue) {
				c.policyChanged(ctx, e.Object.Name, q)
			},
		}),
		// A CombinedStatus changed or deleted by someone else is computed again.
		source.TypedKind(wds, &controlv1alpha1.CombinedStatus{}, handler.TypedEnqueueRequestsFromMapFunc(
			func(_ context.Context, cs *controlv1alpha1.CombinedStatus) []combinedItem {
				if ref, ok := combinedSubject(cs.Labels); ok {
					return []combinedItem{{Object: ref}}
				}
				return nil
			})),
	}
	for _, w := range watches {
		if err := p.ctrl.Watch(w); err != nil {
			return err
		}
	}
	c.combined = p
	return nil
}

// runCombined runs the combined-status part until ctx ends. Its failure (say, credentials that
// may not read StatusCollectors, so that its caches never sync) stops only this part, and is
// reported: reported state goes on.
func (c *connection) runCombined(ctx context.Context) {
	err := c.combined.ctrl.Start(ctx)
	if err == nil || ctx.Err() != nil {
		return
	}
	c.log.Error(err, "Keeping CombinedStatus objects stopped")
	if c.warn != nil {
		c.warn("CombinedStatusStopped", "Watch", "Keeping KubeStellar CombinedStatus objects stopped: %v", err)
	}
}

// combinedSubject reads the workload object a CombinedStatus's labels name.
func combinedSubject(labels map[string]string) (objectRef, bool) {
	ref := objectRef{Group: labels[labelCSGroup], Resource: labels[labelCSResource],
		Namespace: labels[labelCSNamespace], Name: labels[labelCSName]}
	return ref, ref.Resource != "" && ref.Name != ""
}

// collectedKeys are the keys of the objects whose entry in b names StatusCollectors.
func collectedKeys(b *controlv1alpha1.Binding) []string {
	var keys []string
	for i := range b.Spec.Workload.NamespaceScope {
		e := &b.Spec.Workload.NamespaceScope[i]
		if len(e.StatusCollectors) > 0 {
			keys = append(keys, objectRef{Group: e.Group, Resource: e.Resource, Namespace: e.Namespace, Name: e.Name}.String())
		}
	}
	for i := range b.Spec.Workload.ClusterScope {
		e := &b.Spec.Workload.ClusterScope[i]
		if len(e.StatusCollectors) > 0 {
			keys = append(keys, objectRef{Group: e.Group, Resource: e.Resource, Name: e.Name}.String())
		}
	}
	return keys
}

// collectedRefs are the objects whose entry in b names StatusCollectors.
func collectedRefs(b *controlv1alpha1.Binding) []objectRef {
	var refs []objectRef
	for i := range b.Spec.Workload.NamespaceScope {
		e := &b.Spec.Workload.NamespaceScope[i]
		if len(e.StatusCollectors) > 0 {
			refs = append(refs, objectRef{Group: e.Group, Resource: e.Resource, Namespace: e.Namespace, Name: e.Name})
		}
	}
	for i := range b.Spec.Workload.ClusterScope {
		e := &b.Spec.Workload.ClusterScope[i]
		if len(e.StatusCollectors) > 0 {
			refs = append(refs, objectRef{Group: e.Group, Resource: e.Resource, Name: e.Name})
		}
	}
	return refs
}

// collectorNames are the StatusCollectors b's entries name.
func collectorNames(b *controlv1alpha1.Binding) []string {
	seen := map[string]bool{}
	var names []string
	add := func(list []string) {
		for _, n := range list {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	for i := range b.Spec.Workload.NamespaceScope {
		add(b.Spec.Workload.NamespaceScope[i].StatusCollectors)
	}
	for i := range b.Spec.Workload.ClusterScope {
		add(b.Spec.Workload.ClusterScope[i].StatusCollectors)
	}
	return names
}

// entryCollectors are the StatusCollectors b's entry for ref names, and the version it names
// the object at; ok is false when b has no entry for ref.
func entryCollectors(b *controlv1alpha1.Binding, ref objectRef) (names []string, version string, ok bool) {
	if ref.Namespace == "" {
		for i := range b.Spec.Workload.ClusterScope {
			e := &b.Spec.Workload.ClusterScope[i]
			if e.Group == ref.Group && e.Resource == ref.Resource && e.Name == ref.Name {
				return e.StatusCollectors, e.Version, true
			}
		}
		return nil, "", false
	}
	for i := range b.Spec.Workload.NamespaceScope {
		e := &b.Spec.Workload.NamespaceScope[i]
		if e.Group == ref.Group && e.Resource == ref.Resource && e.Namespace == ref.Namespace && e.Name == ref.Name {
			return e.StatusCollectors, e.Version, true
		}
	}
	return nil, "", false
}

// combinedBindingHandler queues the objects of a Binding's entries that name collectors,
// before and after the change (destinations and collectors change the result).
type combinedBindingHandler struct{}

func (combinedBindingHandler) Create(_ context.Context, e event.TypedCreateEvent[*controlv1alpha1.Binding], q combinedQueue) {
	q.Add(combinedItem{Binding: e.Object.Name})
	addObjects(q, collectedRefs(e.Object))
}

func (combinedBindingHandler) Update(_ context.Context, e event.TypedUpdateEvent[*controlv1alpha1.Binding], q combinedQueue) {
	q.Add(combinedItem{Binding: e.ObjectNew.Name})
	if e.ObjectOld.Generation == e.ObjectNew.Generation {
		return // its status changed (the condition kept here, say): no result does
	}
	addObjects(q, collectedRefs(e.ObjectOld))
	addObjects(q, collectedRefs(e.ObjectNew))
}

func (combinedBindingHandler) Delete(_ context.Context, e event.TypedDeleteEvent[*controlv1alpha1.Binding], q combinedQueue) {
	addObjects(q, collectedRefs(e.Object))
}

func (combinedBindingHandler) Generic(context.Context, event.TypedGenericEvent[*controlv1alpha1.Binding], combinedQueue) {
}

func addObjects(q combinedQueue, refs []objectRef) {
	for _, r := range refs {
		q.Add(combinedItem{Object: r})
	}
}

// combinedWorkStatusHandler queues the object a WorkStatus names, at once (KubeStellar's own
// status controller waits 5 s), and notes when its change was written, for the lag.
type combinedWorkStatusHandler struct{ c *connection }

func (h combinedWorkStatusHandler) Create(_ context.Context, e event.TypedCreateEvent[*WorkStatus], q combinedQueue) {
	h.observe(e.Object, q)
}

func (h combinedWorkStatusHandler) Update(_ context.Context, e event.TypedUpdateEvent[*WorkStatus], q combinedQueue) {
	if e.ObjectOld.ref() != e.ObjectNew.ref() {
		h.observe(e.ObjectOld, q)
	}
	h.observe(e.ObjectNew, q)
}

func (h combinedWorkStatusHandler) Delete(_ context.Context, e event.TypedDeleteEvent[*WorkStatus], q combinedQueue) {
	h.observe(e.Object, q)
}

func (combinedWorkStatusHandler) Generic(context.Context, event.TypedGenericEvent[*WorkStatus], combinedQueue) {
}

func (h combinedWorkStatusHandler) observe(ws *WorkStatus, q combinedQueue) {
	if ws.Spec.SourceRef.Resource == "" || ws.Spec.SourceRef.Name == "" {
		return
	}
	ref := ws.ref()
	if !h.c.collected(ref) {
		return
	}
	if h.c.synced() {
		h.c.combined.markPending(ref, ws.written)
	}
	q.Add(combinedItem{Object: ref})
}

// collected tells whether some Binding's entry for ref names StatusCollectors.
func (c *connection) collected(ref objectRef) bool {
	return c.combined.bindingsByCollected.has(ref.String())
}

// collectorChanged queues the check of a StatusCollector and the objects whose Bindings name it.
func (c *connection) collectorChanged(name string, q combinedQueue) {
	q.Add(combinedItem{Collector: name})
	for _, b := range c.combined.bindingsByCollector.lookup(name) {
		q.Add(combinedItem{Binding: b.Name})
		addObjects(q, collectedRefs(b))
	}
}

// policyChanged queues the objects of the Binding of a BindingPolicy (of the same name).
func (c *connection) policyChanged(ctx context.Context, name string, q combinedQueue) {
	b := &controlv1alpha1.Binding{}
	if err := c.wds.GetCache().Get(ctx, client.ObjectKey{Name: name}, b); err == nil {
		addObjects(q, collectedRefs(b))
	}
}

// combinedObjectChanged queues a workload object that a collector's expressions may read.
func (c *connection) combinedObjectChanged(ref objectRef) {
	p := c.combined
	if p == nil || !c.collected(ref) {
		return
	}
	p.mu.Lock()
	q := p.queue
	p.mu.Unlock()
	if q != nil {
		q.Add(combinedItem{Object: ref})
	}
}

// markPending notes a WorkStatus change of ref written at t, keeping the earliest.
func (p *combinedPart) markPending(ref objectRef, t time.Time) {
	if t.IsZero() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.pending[ref]; !ok || t.Before(old) {
		p.pending[ref] = t
	}
}

// takePending takes the earliest change of ref not yet written.
func (p *combinedPart) takePending(ref objectRef) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.pending[ref]
	delete(p.pending, ref)
	return t, ok
}
