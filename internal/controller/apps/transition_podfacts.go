package apps

import (
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/gatechannel"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
)

// nodeFacts is what a decision needs to know about the node a pod is bound to.
type nodeFacts struct {
	// Exists is false when the Node object is gone.
	Exists bool
	// OutOfService is true when the node carries the out-of-service taint.
	OutOfService bool
}

// podFacts is what a decision needs to know about one pod: a pod the StatefulSingleton
// selects, or one its status lists as a pod that may run.
type podFacts struct {
	Name     string
	UID      types.UID
	NodeName string
	Created  time.Time
	// Selected: the selector matches the pod now. A pod listed in the status that left the
	// selector still counts for S1, but is never a candidate.
	Selected bool
	// Guarded: the pod's spec holds the gate, so its application waits for a release.
	Guarded bool
	// Instance names the StatefulSingleton the webhook prepared the pod for (for people only:
	// which StatefulSingleton decides is settled by age, see transitionInput.Elder).
	Instance string
	// Released: the pod carries a release for its own UID, or this operator released it (pushed
	// it to the pod's gates, or wrote it) and its cache does not show the release yet.
	Released bool
	// Annotated: the pod carries a release for its own UID, or this operator wrote it and its
	// cache does not show it yet. A release pushed whose patch failed is Released, not Annotated.
	Annotated bool
	// PushedForced: this operator pushed the pod's release as a forced one and its cache does
	// not show the release yet.
	PushedForced bool
	// Recorded: the status lists the pod among the pods that may run.
	Recorded bool
	// HasFinalizer: the pod carries the release finalizer.
	HasFinalizer bool
	// Deleting: the pod's deletion was requested.
	Deleting bool
	// Stopped: the pod's application is confirmed stopped and cannot start again; StopReason says how.
	Stopped    bool
	StopReason string
	// StoppedAt is the latest time one of its containers finished, when known.
	StoppedAt time.Time
	// GateProofVersion is the version of the gate ledger snapshot the stop was proven from when
	// StopReason is StopReasonGateReportedExit; the proof must be consumed at that version
	// (gatechannel.Ledger.Consume) before another pod is released on it.
	GateProofVersion uint64
	// Armed: the pod would start its application the moment it is released (see armed);
	// ArmedAt is when its last container started, as the kubelet reports it (to the second).
	Armed   bool
	ArmedAt time.Time
	// AppRunning: the kubelet reports every container of the pod running.
	AppRunning bool
	// ReadyGate: the pod's readiness gate condition is True.
	ReadyGate bool
	// GracePeriod is the pod's own terminationGracePeriodSeconds.
	GracePeriod int64
	// Owner is the kind and name of the pod's controller, empty when it has none.
	Owner string
	// Revision ranks the pod's template among its workload's revisions: higher is newer, 0 is
	// unknown. Only pods of one workload are compared by it.
	Revision int64
	// OwnerReplicas is the number of replicas the pod's owner asks for, 0 when unknown.
	OwnerReplicas int32
}

// newerThan reports whether the pod comes after the other: a later revision of the workload when both
// are known, else a later creation. Creation times have a resolution of one second, so two pods
// of one revision created in the same second are neither newer than the other.
func (p *podFacts) newerThan(other *podFacts) bool {
	if p.Revision != other.Revision && p.Revision > 0 && other.Revision > 0 {
		return p.Revision > other.Revision
	}
	return p.Created.After(other.Created)
}

// mayRun reports whether the pod's application may be running now or start later on its own:
// a released, unguarded or recorded pod not confirmed stopped.
func (p podFacts) mayRun() bool { return (p.Released || !p.Guarded || p.Recorded) && !p.Stopped }

// observePod reduces a pod to the facts a decision needs. nodes holds the nodes the pods are
// bound to; a node missing from it counts as gone.
func observePod(pod *corev1.Pod, nodes map[string]nodeFacts) podFacts {
	f := podFacts{
		Name:         pod.Name,
		UID:          pod.UID,
		NodeName:     pod.Spec.NodeName,
		Created:      pod.CreationTimestamp.Time,
		Guarded:      podwebhook.HoldsGate(pod),
		Instance:     pod.Labels[singletonv1.LabelInstance],
		Released:     hasRelease(pod),
		Annotated:    hasRelease(pod),
		HasFinalizer: controllerutil.ContainsFinalizer(pod, singletonv1.FinalizerRelease),
		Deleting:     pod.DeletionTimestamp != nil,
		Armed:        armed(pod),
		ArmedAt:      lastStart(pod),
		AppRunning:   allContainersRunning(pod),
		ReadyGate:    podConditionTrue(pod, singletonv1.ReadinessGate),
		GracePeriod:  gracePeriodOf(pod),
		Owner:        ownerOf(pod),
	}
	f.StopReason = stopReason(pod, nodes)
	f.Stopped = f.StopReason != ""
	f.StoppedAt = lastFinish(pod)
	return f
}

// StopReasonGateReportedExit is the stop proof of docs/design.md, S6: the pod's deletion was
// requested, and the supervising gate of every application container reported over the
// authenticated channel that the application of its latest registered start exited, its whole
// process tree gone.
const StopReasonGateReportedExit = "GateReportedExit"

// gateReportedExit reports whether the gate ledger snapshot proves the pod stopped (see
// StopReasonGateReportedExit), and when the last of its containers reported its exit. A pod not
// being deleted may restart a container (a restart asks the channel, which allows it); a pod
// never bound has no gate; a pod with an unsupervised application container (sidecar mode, an
// old webhook) or a container that never reported proves nothing this way.
func gateReportedExit(pod *corev1.Pod, gate gatechannel.Snapshot) (time.Time, bool) {
	if pod.DeletionTimestamp == nil || pod.Spec.NodeName == "" || pod.UID == "" {
		return time.Time{}, false
	}
	containers, supervised := podwebhook.SupervisedContainers(pod)
	if !supervised {
		return time.Time{}, false
	}
	return gate.AllExited(pod.UID, containers)
}

// hasRelease reports whether the pod carries a release for its own UID.
func hasRelease(pod *corev1.Pod) bool {
	return pod.UID != "" && pod.Annotations[singletonv1.AnnotationRelease] == string(pod.UID)
}

// stopReason says why the pod's application is confirmed stopped, or "" when it is not:
//   - the pod reached a terminal phase: the kubelet restarts none of its containers. A pod
//     whose deletion was requested gets it from the kubelet in the very status write that
//     reports its containers stopped after the kill (kubelets since 1.27), so that write is the
//     proof of a stop after the deletion;
//   - its deletion was requested before it was ever bound: the API server binds no pod being
//     deleted;
//   - its deletion was requested and its node is fenced: deleted, or tainted out-of-service. A
//     pod not being deleted on a fenced node is not stopped: should the node come back (a
//     Node registering again, a taint lifted), its kubelet would start it again;
//   - its deletion was requested and the operator confirmed its stop before (the annotation
//     apps.statefulsingleton.com/stop-confirmed holding its UID): a kubelet never starts the
//     containers of a pod being deleted.
//
// Containers reported terminated while the phase is not terminal prove nothing, even on a
// pod being deleted: that report may predate the deletion, and the kubelet restarts a crashed
// container at once the first time. A pod that merely looks failed (crash-looping, image pull
// errors) is not stopped either.
func stopReason(pod *corev1.Pod, nodes map[string]nodeFacts) string {
	switch {
	case pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		return "PodFinished"
	case pod.DeletionTimestamp == nil:
		return ""
	case pod.Spec.NodeName == "":
		return "NeverScheduled"
	case pod.UID != "" && pod.Annotations[singletonv1.AnnotationStopConfirmed] == string(pod.UID):
		return "StopConfirmed"
	}
	switch node := nodes[pod.Spec.NodeName]; {
	case !node.Exists:
		return "NodeDeleted"
	case node.OutOfService:
		return "NodeOutOfService"
	}
	return ""
}

// armed reports whether the pod would start its application the moment it is released: its
// init containers completed, its sidecars run, and its main containers run (the gate waits in
// them) or, with a gate sidecar, wait for the sidecar's startup probe, which the release passes.
// Stopping the old pod before the new one is armed would add the new pod's start-up to the gap.
func armed(pod *corev1.Pod) bool {
	if len(pod.Status.InitContainerStatuses) < len(pod.Spec.InitContainers) ||
		len(pod.Status.ContainerStatuses) < len(pod.Spec.Containers) {
		return false
	}
	sidecars := map[string]bool{}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		sidecars[c.Name] = c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
	}
	for i := range pod.Status.InitContainerStatuses {
		s := &pod.Status.InitContainerStatuses[i]
		if sidecars[s.Name] && s.State.Running == nil {
			return false
		}
		if !sidecars[s.Name] && (s.State.Terminated == nil || s.State.Terminated.ExitCode != 0) {
			return false
		}
	}
	for _, sidecar := range sidecars {
		if sidecar {
			return true
		}
	}
	for i := range pod.Status.ContainerStatuses {
		if pod.Status.ContainerStatuses[i].State.Running == nil {
			return false
		}
	}
	return true
}

// allContainersRunning reports whether the kubelet reports every main container of the pod
// running: in sidecar mode the application's containers exist only once the gate let them.
func allContainersRunning(pod *corev1.Pod) bool {
	if len(pod.Status.ContainerStatuses) < len(pod.Spec.Containers) {
		return false
	}
	for i := range pod.Status.ContainerStatuses {
		if pod.Status.ContainerStatuses[i].State.Running == nil {
			return false
		}
	}
	return true
}

// lastStart is the latest time a container of the pod started, or the zero time.
func lastStart(pod *corev1.Pod) time.Time {
	return latestContainerTime(pod, func(s *corev1.ContainerState) *metav1.Time {
		if s.Running == nil {
			return nil
		}
		return &s.Running.StartedAt
	})
}

// lastFinish is the latest time a container of the pod finished, or the zero time.
func lastFinish(pod *corev1.Pod) time.Time {
	return latestContainerTime(pod, func(s *corev1.ContainerState) *metav1.Time {
		if s.Terminated == nil {
			return nil
		}
		return &s.Terminated.FinishedAt
	})
}

// latestContainerTime is the latest of the times that pick reads from the states of the pod's
// init and main containers; nil means none.
func latestContainerTime(pod *corev1.Pod, pick func(*corev1.ContainerState) *metav1.Time) time.Time {
	var last time.Time
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for i := range list {
			if t := pick(&list[i].State); t != nil && t.After(last) {
				last = t.Time
			}
		}
	}
	return last
}

func podConditionTrue(pod *corev1.Pod, condition corev1.PodConditionType) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == condition {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func gracePeriodOf(pod *corev1.Pod) int64 {
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		return *pod.Spec.TerminationGracePeriodSeconds
	}
	return corev1.DefaultTerminationGracePeriodSeconds
}

// ownerOf names the workload that owns the pod: the Deployment behind a ReplicaSet that
// carries the pod's template hash, else the pod's controller; "" when it has none.
func ownerOf(pod *corev1.Pod) string {
	ref := metav1.GetControllerOf(pod)
	if ref == nil {
		return ""
	}
	if hash := pod.Labels[appsv1.DefaultDeploymentUniqueLabelKey]; ref.Kind == "ReplicaSet" && hash != "" {
		if deployment, ok := strings.CutSuffix(ref.Name, "-"+hash); ok {
			return "Deployment/" + deployment
		}
	}
	return ref.Kind + "/" + ref.Name
}
