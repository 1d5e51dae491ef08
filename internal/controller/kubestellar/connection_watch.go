package kubestellar

import (
	"context"
	"time"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// setupIndexes indexes Bindings by the objects they ask reported state for, and WorkStatuses
// by the object they name.
func (c *connection) setupIndexes(ctx context.Context) error {
	var err error
	c.bindingsByObject, err = addIndex(ctx, c.wds.GetCache(), &controlv1alpha1.Binding{}, indexBindingObjects,
		bindingIndexKeys)
	if err != nil {
		return err
	}
	c.workStatusesBySource, err = addIndex(ctx, c.its.GetCache(), &WorkStatus{}, indexWorkStatusSource,
		func(ws *WorkStatus) []string {
			if ws.Spec.SourceRef.Resource == "" || ws.Spec.SourceRef.Name == "" {
				return nil
			}
			return []string{ws.ref().String()}
		})
	return err
}

// setupController builds the work queue of WDS objects and its watches: Bindings and
// WorkStatuses here, the workload objects of each resource once a Binding names it (watchObjects).
func (c *connection) setupController() error {
	var err error
	c.ctrl, err = controller.NewTypedUnmanaged[objectRef]("reportedstate-"+c.key.Namespace+"-"+c.key.Name,
		controller.TypedOptions[objectRef]{
			Reconciler:              objectReconciler{c: c},
			MaxConcurrentReconciles: c.opts.Workers,
			Logger:                  c.log,
			// A first sync of many WorkStatuses may take long; the connection reports it meanwhile.
			CacheSyncTimeout:   30 * time.Minute,
			SkipNameValidation: ptr.To(true),
			NeedLeaderElection: ptr.To(false),
		})
	if err != nil {
		return err
	}
	if err := c.ctrl.Watch(source.TypedFunc[objectRef](c.keepQueue)); err != nil {
		return err
	}
	if err := c.ctrl.Watch(source.TypedKind(c.wds.GetCache(), &controlv1alpha1.Binding{}, bindingHandler{})); err != nil {
		return err
	}
	return c.ctrl.Watch(source.TypedKind(c.its.GetCache(), &WorkStatus{}, workStatusHandler{c: c}))
}

// keepQueue lets the connection add objects itself (sweep, deferred objects, workload watches).
func (c *connection) keepQueue(_ context.Context, q workqueue.TypedRateLimitingInterface[objectRef]) error {
	c.setQueue(q)
	return nil
}

type queue = workqueue.TypedRateLimitingInterface[objectRef]

// bindingHandler queues the objects whose reported state a Binding change may change.
type bindingHandler struct{}

func (bindingHandler) Create(_ context.Context, e event.TypedCreateEvent[*controlv1alpha1.Binding], q queue) {
	addAll(q, changedEntries(nil, e.Object))
}

func (bindingHandler) Update(_ context.Context, e event.TypedUpdateEvent[*controlv1alpha1.Binding], q queue) {
	addAll(q, changedEntries(e.ObjectOld, e.ObjectNew))
}

func (bindingHandler) Delete(_ context.Context, e event.TypedDeleteEvent[*controlv1alpha1.Binding], q queue) {
	addAll(q, changedEntries(e.Object, nil))
}

func (bindingHandler) Generic(context.Context, event.TypedGenericEvent[*controlv1alpha1.Binding], queue) {
}

func addAll(q queue, refs []objectRef) {
	for _, r := range refs {
		q.Add(r)
	}
}

// workStatusHandler queues the object a WorkStatus names, checks the WorkStatus, and counts
// the WorkStatuses of each WEC.
type workStatusHandler struct{ c *connection }

func (h workStatusHandler) Create(_ context.Context, e event.TypedCreateEvent[*WorkStatus], q queue) {
	h.c.countWEC(e.Object.Namespace, 1)
	h.observe(e.Object, q)
}

func (h workStatusHandler) Update(_ context.Context, e event.TypedUpdateEvent[*WorkStatus], q queue) {
	if e.ObjectOld.ref() != e.ObjectNew.ref() {
		q.Add(e.ObjectOld.ref())
	}
	h.observe(e.ObjectNew, q)
}

func (h workStatusHandler) Delete(_ context.Context, e event.TypedDeleteEvent[*WorkStatus], q queue) {
	h.c.countWEC(e.Object.Namespace, -1)
	h.c.setInvalid(e.Object, nil)
	if e.Object.Spec.SourceRef.Resource != "" && e.Object.Spec.SourceRef.Name != "" {
		q.Add(e.Object.ref())
	}
}

func (workStatusHandler) Generic(context.Context, event.TypedGenericEvent[*WorkStatus], queue) {}

func (h workStatusHandler) observe(ws *WorkStatus, q queue) {
	err := validateWorkStatus(ws, h.c.opts.MaxStatusBytes, h.c.knownResource)
	h.c.setInvalid(ws, err)
	if ws.Spec.SourceRef.Resource != "" && ws.Spec.SourceRef.Name != "" {
		if err == nil && h.c.synced() {
			// The lag counts changes after the first sync, not the backlog found at start.
			h.c.book.markPending(ws.ref(), ws.written)
		}
		q.Add(ws.ref())
	}
}

// knownResource tells whether the WDS serves a group/resource.
func (c *connection) knownResource(gr schema.GroupResource) bool {
	_, err := c.wds.GetRESTMapper().ResourcesFor(gr.WithVersion(""))
	return err == nil
}
