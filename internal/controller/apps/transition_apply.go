package apps

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// Event reasons and actions of the StatefulSingleton reconciler.
const (
	eventReleased      = "Released"
	eventForceReleased = "ForceReleased"
	eventStopping      = "StoppingPod"
	actionRelease      = "Release"
	actionStop         = "Stop"
)

// apply carries out a plan: the release first (it was recorded in the status already), then the
// stop requests, the finalizers of stopped pods, and the readiness gates. Every pod write is
// pinned to the pod the decision saw: a patch carries its resourceVersion, a delete its UID.
func (r *StatefulSingletonReconciler) apply(
	ctx context.Context, ss *singletonv1.StatefulSingleton, pods []corev1.Pod, plan transitionPlan,
) error {
	byName := make(map[string]*corev1.Pod, len(pods))
	for i := range pods {
		byName[pods[i].Name] = &pods[i]
	}
	if rel := plan.Release; rel != nil {
		if err := r.release(ctx, ss, byName[rel.Name], rel.Forced); err != nil {
			return err
		}
	}
	for _, stop := range plan.Stop {
		if err := r.stop(ctx, ss, byName[stop.Name], stop.GracePeriodSeconds); err != nil {
			return err
		}
	}
	for _, ref := range plan.RemoveFinalizer {
		if err := r.removeFinalizer(ctx, byName[ref.Name]); err != nil {
			return err
		}
	}
	for _, ref := range plan.MarkReady {
		if err := r.markReady(ctx, byName[ref.Name]); err != nil {
			return err
		}
	}
	return nil
}

// release writes the release annotation, holding the pod's UID, and the finalizer that keeps the
// pod's object until its stop is confirmed, in one patch.
func (r *StatefulSingletonReconciler) release(
	ctx context.Context, ss *singletonv1.StatefulSingleton, pod *corev1.Pod, forced bool,
) error {
	before := pod.DeepCopy()
	metav1.SetMetaDataAnnotation(&pod.ObjectMeta, singletonv1.AnnotationRelease, string(pod.UID))
	controllerutil.AddFinalizer(pod, singletonv1.FinalizerRelease)
	if err := r.Patch(ctx, pod, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("releasing pod %s: %w", klog.KObj(pod), err)
	}
	reason, note := eventReleased, "Released pod %s: no other selected pod may run."
	if forced {
		reason, note = eventForceReleased, "Released pod %s because maxTransitionTime passed; another pod may still run."
	}
	r.Recorder.Eventf(ss, pod, corev1.EventTypeNormal, reason, actionRelease, note, pod.Name)
	ctrl.LoggerFrom(ctx).Info("Released pod", "pod", klog.KObj(pod), "forced", forced)
	return nil
}

// stop requests the pod's deletion with the given grace period, so that a newer pod can take over.
func (r *StatefulSingletonReconciler) stop(
	ctx context.Context, ss *singletonv1.StatefulSingleton, pod *corev1.Pod, grace int64,
) error {
	err := r.Delete(ctx, pod, client.GracePeriodSeconds(grace), client.Preconditions{UID: &pod.UID})
	if client.IgnoreNotFound(err) != nil && !apierrors.IsConflict(err) {
		return fmt.Errorf("deleting pod %s: %w", klog.KObj(pod), err)
	}
	r.Recorder.Eventf(ss, pod, corev1.EventTypeNormal, eventStopping, actionStop,
		"Deleting pod %s (grace period %ds) so that a newer pod can take over.", pod.Name, grace)
	ctrl.LoggerFrom(ctx).Info("Stopping pod", "pod", klog.KObj(pod), "gracePeriodSeconds", grace)
	return nil
}

// letOrphansGo removes the release finalizer from the pods a deleted StatefulSingleton had
// prepared: with no StatefulSingleton, no release will wait for their stop, and their objects
// must be free to go.
func (r *StatefulSingletonReconciler) letOrphansGo(ctx context.Context, ss types.NamespacedName) error {
	pods := &corev1.PodList{}
	if err := r.List(ctx, pods, client.InNamespace(ss.Namespace),
		client.MatchingLabels{singletonv1.LabelInstance: ss.Name}); err != nil {
		return fmt.Errorf("listing the pods of the deleted StatefulSingleton %s: %w", ss, err)
	}
	for i := range pods.Items {
		if controllerutil.ContainsFinalizer(&pods.Items[i], singletonv1.FinalizerRelease) {
			if err := r.removeFinalizer(ctx, &pods.Items[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// removeFinalizer lets a pod whose stop is confirmed go.
func (r *StatefulSingletonReconciler) removeFinalizer(ctx context.Context, pod *corev1.Pod) error {
	before := pod.DeepCopy()
	controllerutil.RemoveFinalizer(pod, singletonv1.FinalizerRelease)
	err := r.Patch(ctx, pod, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
	if client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("removing the finalizer of pod %s: %w", klog.KObj(pod), err)
	}
	return nil
}

// markReady sets the pod's readiness gate condition to True, with a patch of its status.
func (r *StatefulSingletonReconciler) markReady(ctx context.Context, pod *corev1.Pod) error {
	before := pod.DeepCopy()
	setPodCondition(pod, corev1.PodCondition{
		Type: singletonv1.ReadinessGate, Status: corev1.ConditionTrue, Reason: "Released",
		Message: "The operator released this pod to run the application.", LastTransitionTime: metav1.Now(),
	})
	// A strategic merge patch carries only this condition, leaving the kubelet's alone.
	err := r.Status().Patch(ctx, pod, client.StrategicMergeFrom(before))
	if client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("setting the readiness gate of pod %s: %w", klog.KObj(pod), err)
	}
	return nil
}

func setPodCondition(pod *corev1.Pod, c corev1.PodCondition) {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == c.Type {
			pod.Status.Conditions[i] = c
			return
		}
	}
	pod.Status.Conditions = append(pod.Status.Conditions, c)
}
