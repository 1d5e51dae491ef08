// Package controllers holds the reconcilers of singleton-operator. Each one gathers what it
// needs from the informer caches, decides in a pure function, and applies the decision with
// patches.
package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/v1"
)

// StatefulSingletonReconciler keeps the status of each StatefulSingleton true to the pods it
// selects.
type StatefulSingletonReconciler struct {
	client.Client
	Recorder events.EventRecorder
	// Now returns the current time; nil means time.Now. Tests set it to control the clock.
	Now func() time.Time
}

// +kubebuilder:rbac:groups=apps.statefulsingleton.com,resources=statefulsingletons,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps.statefulsingleton.com,resources=statefulsingletons/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile gathers the StatefulSingleton and the pods it selects, decides its status, and
// patches the status when it differs.
func (r *StatefulSingletonReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)

	ss := &singletonv1.StatefulSingleton{}
	if err := r.Get(ctx, req.NamespacedName, ss); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	pods, err := r.selectedPods(ctx, ss)
	if err != nil {
		return ctrl.Result{}, err
	}

	want := decideStatus(ss, pods, metav1.NewTime(r.now()))
	if apiequality.Semantic.DeepEqual(ss.Status, want) {
		return ctrl.Result{}, nil
	}
	before := ss.DeepCopy()
	ss.Status = want
	if err := r.Status().Patch(ctx, ss, client.MergeFrom(before)); err != nil {
		return ctrl.Result{}, fmt.Errorf("patching status of %s: %w", klog.KObj(ss), err)
	}
	log.V(1).Info("Updated status", "phase", want.Phase, "selectedPods", len(pods))
	return ctrl.Result{}, nil
}

// selectedPods lists the pods in the StatefulSingleton's namespace that its selector matches.
func (r *StatefulSingletonReconciler) selectedPods(
	ctx context.Context, ss *singletonv1.StatefulSingleton,
) ([]corev1.Pod, error) {
	selector, err := metav1.LabelSelectorAsSelector(&ss.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("parsing the selector of %s: %w", klog.KObj(ss), err)
	}
	list := &corev1.PodList{}
	inScope := []client.ListOption{client.InNamespace(ss.Namespace), client.MatchingLabelsSelector{Selector: selector}}
	if err := r.List(ctx, list, inScope...); err != nil {
		return nil, fmt.Errorf("listing pods for %s: %w", klog.KObj(ss), err)
	}
	return list.Items, nil
}

func (r *StatefulSingletonReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// SetupWithManager registers the reconciler: it runs for every change of a StatefulSingleton
// and of any pod that one of them selects.
func (r *StatefulSingletonReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&singletonv1.StatefulSingleton{}).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(r.singletonsSelecting)).
		Named("statefulsingleton").
		Complete(r)
}

// singletonsSelecting maps a pod to the StatefulSingletons in its namespace whose selector
// matches it.
func (r *StatefulSingletonReconciler) singletonsSelecting(ctx context.Context, obj client.Object) []reconcile.Request {
	list := &singletonv1.StatefulSingletonList{}
	if err := r.List(ctx, list, client.InNamespace(obj.GetNamespace())); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing StatefulSingletons for a pod", "pod", klog.KObj(obj))
		return nil
	}
	var reqs []reconcile.Request
	for i := range list.Items {
		if selects(&list.Items[i], obj.GetLabels()) {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{
				Namespace: list.Items[i].Namespace, Name: list.Items[i].Name,
			}})
		}
	}
	return reqs
}
