package controllers

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/v1"
)

// decideStatus computes the status of a StatefulSingleton from the pods it selects. It is pure:
// the same inputs give the same status, and the current time only stamps changed conditions.
func decideStatus(
	ss *singletonv1.StatefulSingleton, pods []corev1.Pod, now metav1.Time,
) singletonv1.StatefulSingletonStatus {
	status := *ss.Status.DeepCopy()
	status.ObservedGeneration = ss.Generation

	ready := metav1.Condition{Type: singletonv1.ConditionReady, ObservedGeneration: ss.Generation}
	switch len(pods) {
	case 0:
		status.Phase = singletonv1.PhasePending
		status.Message = "The selector matches no pod."
		ready.Status, ready.Reason, ready.Message = metav1.ConditionFalse, singletonv1.ReasonNoPods, status.Message
	default:
		status.Phase = singletonv1.PhasePending
		status.Message = fmt.Sprintf("The selector matches %d pod(s).", len(pods))
		ready.Status, ready.Reason, ready.Message = metav1.ConditionUnknown, singletonv1.ReasonReconciling, status.Message
	}
	setCondition(&status.Conditions, ready, now)
	return status
}

// setCondition sets a condition, keeping its lastTransitionTime unless its status changes.
func setCondition(conditions *[]metav1.Condition, c metav1.Condition, now metav1.Time) {
	c.LastTransitionTime = now
	if old := meta.FindStatusCondition(*conditions, c.Type); old != nil && old.Status == c.Status {
		c.LastTransitionTime = old.LastTransitionTime
	}
	meta.SetStatusCondition(conditions, c)
}

// selects reports whether the StatefulSingleton's selector matches a set of pod labels. A
// selector that does not parse matches nothing.
func selects(ss *singletonv1.StatefulSingleton, podLabels map[string]string) bool {
	selector, err := metav1.LabelSelectorAsSelector(&ss.Spec.Selector)
	if err != nil || selector.Empty() {
		return false
	}
	return selector.Matches(labels.Set(podLabels))
}
