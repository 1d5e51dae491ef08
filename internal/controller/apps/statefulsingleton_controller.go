// Package apps holds the reconcilers of singleton-operator. Each one gathers what it
// needs from the informer caches, decides in a pure function, and applies the decision with
// patches.
package apps

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/gatechannel"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
)

// conflictBackoff is how long to wait before deciding again after a write hit a stale cache.
const conflictBackoff = 100 * time.Millisecond

// StatefulSingletonReconciler lets at most one pod selected by each StatefulSingleton run its
// application: it releases held pods one at a time, asks older pods to stop first, and keeps
// the status true to what it sees.
type StatefulSingletonReconciler struct {
	client.Client
	Recorder events.EventRecorder

	// Gate is what the gates reported over the channel (docs/design.md, S6), shared with the
	// channel server; nil when the channel is off, and then no stop is proven by a gate.
	Gate *gatechannel.Ledger
	// GateEvents carries the pods the gates reported about, to decide again at once.
	GateEvents <-chan event.GenericEvent
	// Releases is told of every release once it is written (S2), to push it to the pod's gates,
	// and of every pod whose object is gone, to forget it.
	Releases interface {
		Released(types.UID)
		Gone(types.UID)
	}

	// ledger remembers the releases this operator wrote that its cache may not show yet.
	ledger releaseLedger
}

// +kubebuilder:rbac:groups=apps.statefulsingleton.com,resources=statefulsingletons,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=apps.statefulsingleton.com,resources=statefulsingletons/finalizers,verbs=update
// +kubebuilder:rbac:groups=apps.statefulsingleton.com,resources=statefulsingletons/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;patch;delete
// +kubebuilder:rbac:groups="",resources=pods/status,verbs=patch
// +kubebuilder:rbac:groups="",resources=nodes,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=replicasets;statefulsets,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create

// Reconcile gathers the StatefulSingleton, the pods it selects and their nodes, decides, records
// the decision in the status, and then carries it out.
func (r *StatefulSingletonReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ss := &singletonv1.StatefulSingleton{}
	if err := r.Get(ctx, req.NamespacedName, ss); apierrors.IsNotFound(err) {
		forgetMetrics(req.Namespace, req.Name)
		return ctrl.Result{}, r.letOrphansGo(ctx, req.NamespacedName, true)
	} else if err != nil {
		return ctrl.Result{}, err
	}
	if err := r.ensureHandBackFinalizer(ctx, ss); err != nil {
		return ctrl.Result{}, err
	}
	seen, err := r.gather(ctx, ss)
	if err != nil {
		return ctrl.Result{}, err
	}
	plan := decideTransition(observe(seen))
	if err := r.consumeGateProofs(ctx, ss, plan.Consume); err != nil {
		// A container of a pod proven stopped registered a start since the snapshot: the plan
		// rests on a stale proof, and nothing of it is written.
		ctrl.LoggerFrom(ctx).V(1).Info("A gate proof went stale; deciding again", "reason", err.Error())
		return ctrl.Result{RequeueAfter: conflictBackoff}, nil
	}

	// The status records a release before the release takes effect, so that a restarted
	// operator or a new leader resumes from what the API holds: in the status this decision
	// read (recorded ahead, when the old pod was asked to stop), or else in the write below.
	pods := slices.Concat(seen.Selected, seen.Recorded)
	if rel := plan.Release; rel != nil && rel.pushFirst() {
		if pod := podByUID(pods, rel.UID); pod != nil {
			r.push(ctx, pod, false, rel.Forced)
		}
	}
	before := ss.Status.DeepCopy()
	err = r.patchStatus(ctx, ss, plan.Status)
	if err == nil {
		// What the status now records is observed, whatever happens to the pod writes below.
		recordMetrics(ss, before, &plan.Status, &plan)
		r.warnIfDegraded(ss, before, &plan.Status)
		err = r.apply(ctx, ss, pods, plan)
	}
	if err == nil && plan.HandBack {
		err = r.handBack(ctx, ss)
	}
	if apierrors.IsConflict(err) {
		// The cache was behind the API server; the write that got ahead will bring us back.
		ctrl.LoggerFrom(ctx).V(1).Info("Decided on stale data; deciding again", "reason", err.Error())
		return ctrl.Result{RequeueAfter: conflictBackoff}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: plan.RequeueAfter}, nil
}

func (r *StatefulSingletonReconciler) patchStatus(
	ctx context.Context, ss *singletonv1.StatefulSingleton, want singletonv1.StatefulSingletonStatus,
) error {
	if apiequality.Semantic.DeepEqual(ss.Status, want) {
		return nil
	}
	before := ss.DeepCopy()
	ss.Status = want
	patch := client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})
	if err := r.Status().Patch(ctx, ss, patch); err != nil {
		return fmt.Errorf("patching the status of %s: %w", klog.KObj(ss), err)
	}
	ctrl.LoggerFrom(ctx).V(1).Info("Updated status", "phase", want.Phase, "activePod", want.ActivePod,
		"heldPods", want.HeldPods)
	return nil
}

// warnIfDegraded emits a Warning event when the Degraded condition turns True or changes
// reason, so that `kubectl describe` and event watchers see the risk when it appears.
func (r *StatefulSingletonReconciler) warnIfDegraded(
	ss *singletonv1.StatefulSingleton, before, after *singletonv1.StatefulSingletonStatus,
) {
	now := meta.FindStatusCondition(after.Conditions, singletonv1.ConditionDegraded)
	if now == nil || now.Status != metav1.ConditionTrue {
		return
	}
	if was := meta.FindStatusCondition(before.Conditions, singletonv1.ConditionDegraded); was != nil &&
		was.Status == now.Status && was.Reason == now.Reason {
		return
	}
	r.Recorder.Eventf(ss, nil, corev1.EventTypeWarning, now.Reason, "Degrade", "%s", now.Message)
}

// SetupWithManager registers the reconciler: it runs for every change of a StatefulSingleton,
// of any pod one of them selects, and of the deletion or fencing of a node.
func (r *StatefulSingletonReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &corev1.Pod{}, podNodeNameField,
		func(obj client.Object) []string { return []string{obj.(*corev1.Pod).Spec.NodeName} }); err != nil {
		return fmt.Errorf("indexing pods by node: %w", err)
	}
	b := ctrl.NewControllerManagedBy(mgr).
		For(&singletonv1.StatefulSingleton{}).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(r.singletonsSelecting)).
		Watches(&corev1.Pod{}, handler.Funcs{DeleteFunc: r.podGone}).
		Watches(&corev1.Node{}, handler.EnqueueRequestsFromMapFunc(r.singletonsOnNode),
			builder.WithPredicates(nodeFencingChanged()))
	if r.GateEvents != nil {
		b = b.WatchesRawSource(source.Channel(r.GateEvents, handler.EnqueueRequestsFromMapFunc(r.singletonsSelecting)))
	}
	return b.Named("statefulsingleton").Complete(r)
}

// podGone forgets what the operator keeps in memory about a pod whose object is gone: a
// release pushed whose annotation never reached the cache (its patch failed, or the pod was
// deleted first) would otherwise stay in the release ledger and the channel for ever.
func (r *StatefulSingletonReconciler) podGone(_ context.Context, e event.DeleteEvent,
	_ workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	r.ledger.seen(e.Object.GetUID())
	if r.Releases != nil {
		r.Releases.Gone(e.Object.GetUID())
	}
}

// singletonsSelecting maps a pod to the StatefulSingletons in its namespace whose selector
// matches it, or whose status lists it as may run (a pod relabeled out of the selector). A pod
// that carries the release finalizer and that no StatefulSingleton claims maps to the one it was
// prepared for, which is gone: its reconcile lets the pod go, whenever the pod cache catches up.
func (r *StatefulSingletonReconciler) singletonsSelecting(ctx context.Context, obj client.Object) []reconcile.Request {
	list := &singletonv1.StatefulSingletonList{}
	if err := r.List(ctx, list, client.InNamespace(obj.GetNamespace())); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing StatefulSingletons for a pod", "pod", klog.KObj(obj))
		return nil
	}
	var reqs []reconcile.Request
	for i := range list.Items {
		if podwebhook.Selects(&list.Items[i], obj.GetLabels()) || lists(&list.Items[i], obj.GetUID()) {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{
				Namespace: list.Items[i].Namespace, Name: list.Items[i].Name,
			}})
		}
	}
	instance := obj.GetLabels()[singletonv1.LabelInstance]
	if len(reqs) == 0 && instance != "" && controllerutil.ContainsFinalizer(obj, singletonv1.FinalizerRelease) {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{
			Namespace: obj.GetNamespace(), Name: instance,
		}})
	}
	return reqs
}

// singletonsOnNode maps a node to the StatefulSingletons that select a pod bound to it.
func (r *StatefulSingletonReconciler) singletonsOnNode(ctx context.Context, obj client.Object) []reconcile.Request {
	pods := &corev1.PodList{}
	if err := r.List(ctx, pods, client.MatchingFields{podNodeNameField: obj.GetName()}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing pods on a node", "node", klog.KObj(obj))
		return nil
	}
	var reqs []reconcile.Request
	for i := range pods.Items {
		reqs = append(reqs, r.singletonsSelecting(ctx, &pods.Items[i])...)
	}
	return reqs
}

// nodeFencingChanged passes node events that can fence a node: its deletion and a change of
// its out-of-service taint. Heartbeats and other status updates are dropped.
func nodeFencingChanged() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(_ event.CreateEvent) bool { return false },
		GenericFunc: func(_ event.GenericEvent) bool { return false },
		DeleteFunc:  func(_ event.DeleteEvent) bool { return true },
		UpdateFunc: func(e event.UpdateEvent) bool {
			return outOfService(e.ObjectOld.(*corev1.Node)) != outOfService(e.ObjectNew.(*corev1.Node))
		},
	}
}
