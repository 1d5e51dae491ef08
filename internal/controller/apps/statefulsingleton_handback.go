package apps

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// Event reason and action of a finished hand-back.
const (
	eventHandedBack = "HandedBack"
	actionHandBack  = "HandBack"
)

// ensureHandBackFinalizer puts the hand-back finalizer on a StatefulSingleton that is not being
// deleted, so that its deletion waits until its workload is handed back (see handBack).
func (r *StatefulSingletonReconciler) ensureHandBackFinalizer(
	ctx context.Context, ss *singletonv1.StatefulSingleton,
) error {
	if !ss.DeletionTimestamp.IsZero() || controllerutil.ContainsFinalizer(ss, singletonv1.FinalizerHandBack) {
		return nil
	}
	addFinalizer := func() { controllerutil.AddFinalizer(ss, singletonv1.FinalizerHandBack) }
	if err := r.patchPinned(ctx, ss, addFinalizer); err != nil {
		return fmt.Errorf("adding the hand-back finalizer to %s: %w", klog.KObj(ss), err)
	}
	return nil
}

// handBack finishes the deletion of a StatefulSingleton once nothing is in flight: it lets its
// pods' objects go (no release will wait for their stop any more) and then removes its own
// finalizer. Pods the workload makes from now on are not prepared by the webhook.
func (r *StatefulSingletonReconciler) handBack(ctx context.Context, ss *singletonv1.StatefulSingleton) error {
	if !controllerutil.ContainsFinalizer(ss, singletonv1.FinalizerHandBack) {
		return nil
	}
	if err := r.letOrphansGo(ctx, client.ObjectKeyFromObject(ss), false); err != nil {
		return err
	}
	removeFinalizer := func() { controllerutil.RemoveFinalizer(ss, singletonv1.FinalizerHandBack) }
	if err := r.patchPinned(ctx, ss, removeFinalizer); err != nil {
		return fmt.Errorf("removing the hand-back finalizer of %s: %w", klog.KObj(ss), err)
	}
	r.Recorder.Eventf(ss, nil, corev1.EventTypeNormal, eventHandedBack, actionHandBack,
		"No pod is held and no transition is in progress: the workload is handed back.")
	ctrl.LoggerFrom(ctx).Info("Handed the workload back", "activePod", ss.Status.ActivePod)
	return nil
}
