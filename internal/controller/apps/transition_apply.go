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
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
)

// Event reasons and actions of the StatefulSingleton reconciler.
const (
	eventReleased      = "Released"
	eventForceReleased = "ForceReleased"
	eventStopping      = "StoppingPod"
	eventGateStop      = "StopReportedByGate"
	actionConsume      = "ConsumeGateProof"
	actionRelease      = "Release"
	actionStop         = "Stop"
)

// apply carries out a plan: the release first (it was recorded in the status already), then the
// stop requests, the finalizers of stopped pods, and the readiness gates. Every pod write is
// pinned to the pod the decision saw: a patch carries its resourceVersion, a delete its UID.
func (r *StatefulSingletonReconciler) apply(
	ctx context.Context, ss *singletonv1.StatefulSingleton, pods []corev1.Pod, plan transitionPlan,
) error {
	byUID := make(map[types.UID]*corev1.Pod, len(pods))
	for i := range pods {
		byUID[pods[i].UID] = &pods[i]
	}
	if rel := plan.Release; rel != nil {
		if err := r.release(ctx, ss, byUID[rel.UID], rel); err != nil {
			return err
		}
	}
	for _, ref := range plan.Track {
		if err := r.track(ctx, byUID[ref.UID]); err != nil {
			return err
		}
	}
	for _, stop := range plan.Stop {
		if err := r.stop(ctx, ss, byUID[stop.UID], stop.GracePeriodSeconds); err != nil {
			return err
		}
	}
	for _, ref := range plan.RemoveFinalizer {
		if err := r.removeFinalizer(ctx, byUID[ref.UID]); err != nil {
			return err
		}
	}
	for _, ref := range plan.MarkReady {
		if err := r.markReady(ctx, byUID[ref.UID]); err != nil {
			return err
		}
	}
	return nil
}

// consumeGateProofs consumes, in the gate ledger, every stop proof the plan rests on
// (StopReasonGateReportedExit), before anything of the plan is written: from then on the pod's
// gates are refused any start, and a start registered since the snapshot the proof was read from
// fails the whole plan (docs/design.md, S6). The first consumption of a pod is told in an event.
func (r *StatefulSingletonReconciler) consumeGateProofs(
	ctx context.Context, ss *singletonv1.StatefulSingleton, proofs []gateProof,
) error {
	for _, proof := range proofs {
		if r.Gate == nil {
			return fmt.Errorf("pod %s: a gate proof without a gate ledger", proof.Name)
		}
		first := !r.Gate.Consumed(proof.UID)
		if err := r.Gate.Consume(proof.UID, proof.Version); err != nil {
			return fmt.Errorf("consuming the gate proof of pod %s: %w", proof.Name, err)
		}
		if first {
			gateProofsUsed.Inc()
			r.Recorder.Eventf(ss, nil, corev1.EventTypeNormal, eventGateStop, actionConsume,
				"Pod %s confirmed stopped (%s): its deletion was requested and the gate of every application "+
					"container reported its exit.", proof.Name, StopReasonGateReportedExit)
			ctrl.LoggerFrom(ctx).Info("Pod confirmed stopped by its gates", "pod", proof.Name, "uid", proof.UID)
		}
	}
	return nil
}

// track puts the release finalizer on a pod that may run without having been released (one
// that predates its StatefulSingleton, or escaped the webhook), so that its object outlives its
// application however it is deleted.
func (r *StatefulSingletonReconciler) track(ctx context.Context, pod *corev1.Pod) error {
	addFinalizer := func() { controllerutil.AddFinalizer(pod, singletonv1.FinalizerRelease) }
	if err := r.patchPinned(ctx, pod, addFinalizer); err != nil {
		return fmt.Errorf("adding the release finalizer to pod %s: %w", klog.KObj(pod), err)
	}
	return nil
}

// release writes the release annotation, holding the pod's UID, and the finalizer that keeps the
// pod's object until its stop is confirmed, in one patch, and pushes the release to the pod's
// gates. The status recorded the release already (S2). A pod that carried the finalizer when
// the decision read it (Tracked) gets the push before the patch, its object outliving its
// application whatever happens to the patch; when the status the decision read recorded the
// release already (Recorded), Reconcile pushed it even before its status write. A patch refused
// (the pod changed meanwhile) is written again by a later decision, from the status
// (reRelease); the event waits for it.
func (r *StatefulSingletonReconciler) release(
	ctx context.Context, ss *singletonv1.StatefulSingleton, pod *corev1.Pod, rel *releaseRequest,
) error {
	if rel.Tracked && !rel.pushFirst() {
		r.push(ctx, pod, false, rel.Forced)
	}
	err := r.patchPinned(ctx, pod, func() {
		metav1.SetMetaDataAnnotation(&pod.ObjectMeta, singletonv1.AnnotationRelease, string(pod.UID))
		controllerutil.AddFinalizer(pod, singletonv1.FinalizerRelease)
	})
	if err != nil {
		return fmt.Errorf("releasing pod %s: %w", klog.KObj(pod), err)
	}
	// Pushed already when tracked: the ledger now knows the annotation is written too.
	r.push(ctx, pod, true, rel.Forced)
	reason, note := eventReleased, "Released pod %s: no other selected pod may run."
	if rel.Forced {
		reason, note = eventForceReleased, "Released pod %s because maxTransitionTime passed; another pod may still run."
	}
	r.Recorder.Eventf(ss, pod, corev1.EventTypeNormal, reason, actionRelease, note, pod.Name)
	ctrl.LoggerFrom(ctx).Info("Released pod", "pod", klog.KObj(pod), "forced", rel.Forced,
		"pushedFirst", rel.Tracked, "recordedAhead", rel.Recorded)
	return nil
}

// push makes a release take effect in this operator: its decisions count the pod as released
// until the cache shows it (and write its annotation again until written is true), and the
// channel tells the pod's gates. Pushing twice is harmless: the channel tells each gate once.
func (r *StatefulSingletonReconciler) push(ctx context.Context, pod *corev1.Pod, written, forced bool) {
	if _, released := r.ledger.has(pod.UID); !released {
		ctrl.LoggerFrom(ctx).V(1).Info("Release pushed", "pod", klog.KObj(pod))
	}
	r.ledger.add(pod.UID, written, forced)
	if r.Releases != nil {
		r.Releases.Released(pod.UID)
	}
}

// podByUID returns the pod of the UID among pods, or nil.
func podByUID(pods []corev1.Pod, uid types.UID) *corev1.Pod {
	for i := range pods {
		if pods[i].UID == uid {
			return &pods[i]
		}
	}
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

// letOrphansGo lets the pods prepared for a StatefulSingleton that is gone, or handing its
// workload back, go: no release will wait for their stop any more, so their finalizers go. Once
// the StatefulSingleton is gone (released true), a pod still held is released too, since
// nothing else ever would; while it exists, its guarantee holds and no pod is released here. A
// pod that another StatefulSingleton selects or lists as may run is that one's, and is left as
// it is.
func (r *StatefulSingletonReconciler) letOrphansGo(ctx context.Context, ss types.NamespacedName, release bool) error {
	pods := &corev1.PodList{}
	if err := r.List(ctx, pods, client.InNamespace(ss.Namespace),
		client.MatchingLabels{singletonv1.LabelInstance: ss.Name}); err != nil {
		return fmt.Errorf("listing the pods of the StatefulSingleton %s: %w", ss, err)
	}
	others := &singletonv1.StatefulSingletonList{}
	if err := r.List(ctx, others, client.InNamespace(ss.Namespace)); err != nil {
		return fmt.Errorf("listing the StatefulSingletons of %s: %w", ss.Namespace, err)
	}
	for i := range pods.Items {
		pod := &pods.Items[i]
		if claimedByAnother(ss.Name, others.Items, pod) {
			continue
		}
		if err := r.handBackPod(ctx, pod, release); err != nil {
			return err
		}
	}
	return nil
}

// claimedByAnother reports whether a StatefulSingleton other than the one named selects the
// pod or lists it as may run.
func claimedByAnother(name string, singletons []singletonv1.StatefulSingleton, pod *corev1.Pod) bool {
	for i := range singletons {
		if other := &singletons[i]; other.Name != name && (podwebhook.Selects(other, pod.Labels) || lists(other, pod.UID)) {
			return true
		}
	}
	return false
}

// handBackPod removes the release finalizer of a pod no StatefulSingleton guards any more and,
// when release is true and its application is still held, releases it, in one patch.
func (r *StatefulSingletonReconciler) handBackPod(ctx context.Context, pod *corev1.Pod, release bool) error {
	held := release && stillHeld(pod)
	if !held && !controllerutil.ContainsFinalizer(pod, singletonv1.FinalizerRelease) {
		return nil
	}
	err := r.patchPinned(ctx, pod, func() {
		controllerutil.RemoveFinalizer(pod, singletonv1.FinalizerRelease)
		if held {
			metav1.SetMetaDataAnnotation(&pod.ObjectMeta, singletonv1.AnnotationRelease, string(pod.UID))
		}
	})
	if client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("handing back pod %s: %w", klog.KObj(pod), err)
	}
	if held && err == nil && r.Releases != nil {
		r.Releases.Released(pod.UID)
	}
	if held && err == nil {
		r.Recorder.Eventf(pod, nil, corev1.EventTypeNormal, eventHandedBack, actionHandBack,
			"No StatefulSingleton guards this pod any more: its application is released.")
	}
	return nil
}

// removeFinalizer lets a pod whose stop is confirmed go. A pod being deleted keeps the
// confirmation (AnnotationStopConfirmed), written in the same patch: the fence that gave it may
// be lifted while the object still waits for its kubelet.
func (r *StatefulSingletonReconciler) removeFinalizer(ctx context.Context, pod *corev1.Pod) error {
	err := r.patchPinned(ctx, pod, func() {
		controllerutil.RemoveFinalizer(pod, singletonv1.FinalizerRelease)
		if pod.DeletionTimestamp != nil {
			metav1.SetMetaDataAnnotation(&pod.ObjectMeta, singletonv1.AnnotationStopConfirmed, string(pod.UID))
		}
	})
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
	// A strategic merge patch carries only this condition, leaving the kubelet's alone; its
	// resourceVersion pins it to the pod the decision saw.
	err := r.Status().Patch(ctx, pod, client.StrategicMergeFrom(before, client.MergeFromWithOptimisticLock{}))
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

// stillHeld reports whether the pod's application still waits in the gate for a release: the
// gate is in its spec, no release for its UID, not being deleted, not finished.
func stillHeld(pod *corev1.Pod) bool {
	return podwebhook.HoldsGate(pod) && !hasRelease(pod) && pod.DeletionTimestamp == nil &&
		pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed
}

// patchPinned applies mutate to obj and writes the difference as a merge patch that carries the
// resourceVersion the decision saw: a write on an object that changed since fails with a
// conflict, and the decision is made again.
func (r *StatefulSingletonReconciler) patchPinned(ctx context.Context, obj client.Object, mutate func()) error {
	before := obj.DeepCopyObject().(client.Object)
	mutate()
	return r.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
}
