package apps

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// setTransitionConditions sets phase, message and the Ready, Transitioning and Degraded
// conditions from the input of a decision and what it decided.
func setTransitionConditions(status *singletonv1.StatefulSingletonStatus, in *transitionInput,
	running []podFacts, candidate *podFacts, releasing bool,
) {
	set := func(condType string, s metav1.ConditionStatus, reason, msg string) {
		meta.SetStatusCondition(&status.Conditions, metav1.Condition{
			Type: condType, Status: s, Reason: reason, Message: msg, ObservedGeneration: in.SS.Generation,
			LastTransitionTime: metav1.NewTime(in.Now),
		})
	}

	// A candidate whose release is recorded ahead may run for every decision, but it waits for
	// the others: it is not one more pod that runs.
	running = filterPods(running, func(p podFacts) bool { return !recordedAhead(status, &p) })
	degradedReason, degradedMsg := degradation(status, in, running)
	if degradedReason == "" {
		set(singletonv1.ConditionDegraded, metav1.ConditionFalse, singletonv1.ReasonAsExpected, "")
	} else {
		set(singletonv1.ConditionDegraded, metav1.ConditionTrue, degradedReason, degradedMsg)
	}

	switch {
	case candidate != nil && !releasing:
		status.Message = describeWait(candidate, running, unfenced(in.Vanished))
		set(singletonv1.ConditionTransitioning, metav1.ConditionTrue, singletonv1.ReasonWaitingForStop, status.Message)
	case releasing:
		status.Message = fmt.Sprintf("Released pod %s.", status.ActivePod)
		set(singletonv1.ConditionTransitioning, metav1.ConditionTrue, singletonv1.ReasonRunning, status.Message)
	default:
		set(singletonv1.ConditionTransitioning, metav1.ConditionFalse, singletonv1.ReasonIdle, "No pod waits.")
	}

	readyStatus, readyReason, readyMsg := readiness(status, in.Pods)
	set(singletonv1.ConditionReady, readyStatus, readyReason, readyMsg)

	switch {
	case degradedReason != "" && degradedReason != singletonv1.ReasonTransitionOverdue:
		status.Phase = singletonv1.PhaseFailed
		status.Message = degradedMsg
	case candidate != nil:
		status.Phase = singletonv1.PhaseTransitioning
	case status.ActivePod != "":
		status.Phase = singletonv1.PhaseRunning
		status.Message = readyMsg
	case len(in.Pods) == 0:
		status.Phase = singletonv1.PhasePending
		status.Message = "The selector matches no pod."
	default:
		status.Phase = singletonv1.PhasePending
		status.Message = "No pod is released."
	}
	if !in.SS.DeletionTimestamp.IsZero() && candidate == nil && status.HeldPods > 0 {
		status.Message = fmt.Sprintf("Being deleted: the workload is handed back once no pod is held (%d held). "+
			"A rollout's old-revision replacement goes when the rollout ends; a second replica needs replicas: 1.",
			status.HeldPods)
	}
}

// recordedAhead reports whether the pod is the one whose release the status records ahead of
// its taking effect: the active pod, still held.
func recordedAhead(status *singletonv1.StatefulSingletonStatus, p *podFacts) bool {
	return p.UID == status.ActivePodUID && p.held()
}

// readiness says whether the released pod runs the application: released, its readiness gate
// set, not being deleted, and every container reported running. The status says what is
// known: a crash-looping application, or one whose containers the gate has not let start yet,
// is not running.
func readiness(status *singletonv1.StatefulSingletonStatus, pods []podFacts,
) (metav1.ConditionStatus, string, string) {
	active := findUID(pods, status.ActivePodUID)
	switch {
	case active != nil && active.Released && active.ReadyGate && !active.Deleting && active.AppRunning:
		return metav1.ConditionTrue, singletonv1.ReasonRunning, fmt.Sprintf("Pod %s runs the application.", active.Name)
	case active != nil && active.Released && !active.Deleting:
		return metav1.ConditionFalse, singletonv1.ReasonApplicationNotRunning, fmt.Sprintf(
			"Pod %s is released, but its containers are not all running.", active.Name)
	case len(pods) == 0:
		return metav1.ConditionFalse, singletonv1.ReasonNoPods, "The selector matches no pod."
	}
	return metav1.ConditionFalse, singletonv1.ReasonNotReleased, "No released pod runs the application yet."
}

// degradation returns the most important reason the guarantee is at risk, and a message for a
// person; "" when nothing is wrong.
func degradation(status *singletonv1.StatefulSingletonStatus, in *transitionInput, running []podFacts,
) (reason, message string) {
	pods := in.Pods
	unguarded := filterPods(running, func(p podFacts) bool { return !p.Guarded })
	switch owners := workloads(pods); {
	case in.SelectorError != "":
		return singletonv1.ReasonInvalidSelector, fmt.Sprintf(
			"The selector is not valid (%s): no pod is released or stopped until it is fixed.", in.SelectorError)
	case in.Elder != "":
		return singletonv1.ReasonYieldsToOlder, fmt.Sprintf(
			"StatefulSingleton %s is older and selects the same pods: it decides for them, and this one releases "+
				"and stops nothing while it exists. Make the selectors disjoint, or delete one.", in.Elder)
	case len(unguarded) > 0:
		return singletonv1.ReasonUnguardedPods, fmt.Sprintf(
			"Pods %s do not hold the gate and may run beside the others; every other pod is held "+
				"until they are gone.", podNames(unguarded))
	case len(unfenced(in.Vanished)) > 0:
		return singletonv1.ReasonActivePodVanished, fmt.Sprintf(
			"Pods that may run disappeared before their stop was confirmed: %s.", vanishedNames(unfenced(in.Vanished)))
	case len(running) > 1 && len(replicated(running)) == 0:
		return singletonv1.ReasonMoreThanOneMayRun, fmt.Sprintf(
			"Pods %s may all run the application; all but the newest are stopped.", podNames(running))
	case len(replicated(pods)) > 0:
		return singletonv1.ReasonMoreThanOneReplica, fmt.Sprintf(
			"The workload of pods %s asks for more than one replica: only one of them can run at a time; "+
				"set replicas to 1.", podNames(replicated(pods)))
	case len(owners) > 1:
		return singletonv1.ReasonMultipleWorkloads, fmt.Sprintf(
			"The selector matches pods of %d workloads (%s); it should match one.", len(owners), strings.Join(owners, ", "))
	case len(in.Overlapping) > 0:
		return singletonv1.ReasonOverlappingSelectors, fmt.Sprintf(
			"StatefulSingletons %s select some of the same pods; this one, the oldest, decides for them. "+
				"Make the selectors disjoint.", strings.Join(slices.Clone(in.Overlapping), ", "))
	case overdue(in.SS, status, in.Now) && len(running) > 0:
		return singletonv1.ReasonTransitionOverdue, fmt.Sprintf(
			"The transition to %s has taken longer than %ds.", status.CurrentTransition.To, in.SS.Spec.MaxTransitionTime)
	}
	return "", ""
}
