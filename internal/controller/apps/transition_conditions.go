package apps

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// setTransitionConditions sets phase, message and the Ready, Transitioning and Degraded
// conditions from the facts a decision saw and what it decided.
func setTransitionConditions(status *singletonv1.StatefulSingletonStatus, ss *singletonv1.StatefulSingleton,
	pods, running, foreign []podFacts, candidate *podFacts, vanished, releasing bool, now time.Time,
) {
	gen := ss.Generation
	set := func(condType string, s metav1.ConditionStatus, reason, msg string) {
		setCondition(&status.Conditions, metav1.Condition{
			Type: condType, Status: s, Reason: reason, Message: msg, ObservedGeneration: gen,
		}, metav1.NewTime(now))
	}

	degradedReason, degradedMsg := degradation(ss, status, pods, running, foreign, vanished, now)
	if degradedReason == "" {
		set(singletonv1.ConditionDegraded, metav1.ConditionFalse, singletonv1.ReasonAsExpected, "")
	} else {
		set(singletonv1.ConditionDegraded, metav1.ConditionTrue, degradedReason, degradedMsg)
	}

	switch {
	case candidate != nil && !releasing:
		status.Message = describeWait(candidate, running, vanished, status.ActivePod)
		set(singletonv1.ConditionTransitioning, metav1.ConditionTrue, singletonv1.ReasonWaitingForStop, status.Message)
	case releasing:
		status.Message = fmt.Sprintf("Released pod %s.", candidate.Name)
		set(singletonv1.ConditionTransitioning, metav1.ConditionTrue, singletonv1.ReasonRunning, status.Message)
	default:
		set(singletonv1.ConditionTransitioning, metav1.ConditionFalse, singletonv1.ReasonIdle, "No pod waits.")
	}

	active := findPod(pods, status.ActivePod)
	switch {
	case active != nil && active.Released && active.ReadyGate && !active.Deleting:
		set(singletonv1.ConditionReady, metav1.ConditionTrue, singletonv1.ReasonRunning,
			fmt.Sprintf("Pod %s runs the application.", active.Name))
	case len(pods) == 0:
		set(singletonv1.ConditionReady, metav1.ConditionFalse, singletonv1.ReasonNoPods, "The selector matches no pod.")
	default:
		set(singletonv1.ConditionReady, metav1.ConditionFalse, singletonv1.ReasonNotReleased,
			"No released pod runs the application yet.")
	}

	switch {
	case degradedReason != "" && degradedReason != singletonv1.ReasonTransitionOverdue:
		status.Phase = singletonv1.PhaseFailed
		status.Message = degradedMsg
	case candidate != nil:
		status.Phase = singletonv1.PhaseTransitioning
	case status.ActivePod != "":
		status.Phase = singletonv1.PhaseRunning
		status.Message = fmt.Sprintf("Pod %s runs the application.", status.ActivePod)
	case len(pods) == 0:
		status.Phase = singletonv1.PhasePending
		status.Message = "The selector matches no pod."
	default:
		status.Phase = singletonv1.PhasePending
		status.Message = "No pod is released."
	}
}

// degradation returns the most important reason the guarantee is at risk, and a message for a
// person; "" when nothing is wrong.
func degradation(ss *singletonv1.StatefulSingleton, status *singletonv1.StatefulSingletonStatus,
	pods, running, foreign []podFacts, vanished bool, now time.Time,
) (reason, message string) {
	unguarded := filterPods(running, func(p podFacts) bool { return !p.Guarded })
	switch owners := workloads(pods); {
	case len(unguarded) > 0:
		return singletonv1.ReasonUnguardedPods, fmt.Sprintf(
			"Pods %s were not prepared by the webhook and may run beside the others; every other pod is held "+
				"until they are gone.", podNames(unguarded))
	case vanished:
		return singletonv1.ReasonActivePodVanished, fmt.Sprintf(
			"The released pod %s disappeared before its stop was confirmed.", status.ActivePod)
	case len(replicated(pods)) > 0:
		return singletonv1.ReasonMoreThanOneReplica, fmt.Sprintf(
			"The workload of pods %s asks for more than one replica: only one of them can run at a time; "+
				"set replicas to 1.", podNames(replicated(pods)))
	case len(owners) > 1:
		return singletonv1.ReasonMultipleWorkloads, fmt.Sprintf(
			"The selector matches pods of %d workloads (%s); it should match one.", len(owners), strings.Join(owners, ", "))
	case len(foreign) > 0:
		return singletonv1.ReasonOverlappingSelectors, fmt.Sprintf(
			"Pods %s are selected but were prepared for StatefulSingleton %s, whose selector overlaps this one's; "+
				"they are left to it. Make the selectors disjoint.", podNames(foreign), strings.Join(instances(foreign), ", "))
	case overdue(ss, status, now) && len(running) > 0:
		return singletonv1.ReasonTransitionOverdue, fmt.Sprintf(
			"The transition to %s has taken longer than %ds.", status.CurrentTransition.To, ss.Spec.MaxTransitionTime)
	}
	return "", ""
}

// setCondition sets a condition, keeping its lastTransitionTime unless its status changes.
func setCondition(conditions *[]metav1.Condition, c metav1.Condition, now metav1.Time) {
	c.LastTransitionTime = now
	if old := meta.FindStatusCondition(*conditions, c.Type); old != nil && old.Status == c.Status {
		c.LastTransitionTime = old.LastTransitionTime
	}
	meta.SetStatusCondition(conditions, c)
}

// instances lists the StatefulSingletons the pods were prepared for, sorted, once each.
func instances(pods []podFacts) []string {
	var names []string
	for i := range pods {
		if !slices.Contains(names, pods[i].Instance) {
			names = append(names, pods[i].Instance)
		}
	}
	slices.Sort(names)
	return names
}
