package apps

import (
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/gatechannel"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
)

// transitionInput is everything one decision rests on, read from the caches by gather and
// reduced by observe; decideTransition reads nothing else.
type transitionInput struct {
	SS *singletonv1.StatefulSingleton
	// Pods are the pods the selector matches and the pods the status lists as may run.
	Pods []podFacts
	// Vanished are the pods the status lists as may run whose objects are gone.
	Vanished []vanishedPod
	// Elder names an older StatefulSingleton that selects some of the same pods; while it
	// exists it decides for them, and this one releases and stops nothing.
	Elder string
	// Overlapping names every other StatefulSingleton that selects some of the same pods.
	Overlapping []string
	// SelectorError says why the selector does not parse; empty when it does.
	SelectorError string
	Now           time.Time
}

// vanishedPod is a pod the status lists as may run whose object is gone: its application may
// still run on its node until that node is fenced, or a person confirms it stopped.
type vanishedPod struct {
	Ref    singletonv1.PodReference
	Fenced bool
}

// observation is what gather read from the caches, for observe to reduce.
type observation struct {
	SS *singletonv1.StatefulSingleton
	// Selected are the pods the selector matches; Recorded the other pods the status lists
	// (matched by UID: a pod of the same name and another UID is not listed).
	Selected, Recorded []corev1.Pod
	Nodes              map[string]nodeFacts
	Owners             map[types.UID]ownerFacts
	// Others are the other StatefulSingletons of the namespace.
	Others []singletonv1.StatefulSingleton
	// Releasing reports whether this operator released the pod and its cache may not show it yet,
	// and whether it wrote the release annotation and forced the release.
	Releasing func(types.UID) (pushedRelease, bool)
	// GateLedger is the snapshot of what the gates reported about the pods (docs/design.md,
	// S6); empty when the channel is off or this replica is not the leader.
	GateLedger    gatechannel.Snapshot
	SelectorError string
	Now           time.Time
}

// observe reduces what gather read to the input of a decision. It is pure.
func observe(o observation) transitionInput {
	in := transitionInput{SS: o.SS, SelectorError: o.SelectorError, Now: o.Now}
	recorded := map[types.UID]bool{}
	for _, ref := range o.SS.Status.MayRunPods {
		recorded[ref.UID] = true
	}
	seen := map[types.UID]bool{}
	add := func(pod *corev1.Pod, selected bool) {
		if seen[pod.UID] {
			return
		}
		seen[pod.UID] = true
		f := observePod(pod, o.Nodes)
		if at, ok := gateReportedExit(pod, o.GateLedger); ok && !f.Stopped {
			f.Stopped, f.StopReason, f.StoppedAt = true, StopReasonGateReportedExit, at
			f.GateProofVersion = o.GateLedger.Version
		}
		f.Selected = selected
		f.Recorded = recorded[pod.UID]
		if o.Releasing != nil {
			pushed, released := o.Releasing(pod.UID)
			f.Released, f.Annotated = f.Released || released, f.Annotated || pushed.Written
			f.PushedForced = pushed.Forced
		}
		owner := o.Owners[pod.UID]
		f.Revision, f.OwnerReplicas = owner.Revision, owner.Replicas
		in.Pods = append(in.Pods, f)
	}
	for i := range o.Selected {
		add(&o.Selected[i], true)
	}
	for i := range o.Recorded {
		add(&o.Recorded[i], false)
	}
	confirmed := confirmedStopped(o.SS)
	for _, ref := range o.SS.Status.MayRunPods {
		if !seen[ref.UID] {
			in.Vanished = append(in.Vanished, vanishedPod{
				Ref: ref, Fenced: fenced(ref.NodeName, o.Nodes) || confirmed[ref.UID],
			})
		}
	}
	in.Overlapping, in.Elder = overlapping(o.SS, o.Others, append(slices.Clone(o.Selected), o.Recorded...))
	return in
}

// confirmedStopped reads the UIDs a person confirmed stopped in the StatefulSingleton's
// annotation; only vanished pods are read from it.
func confirmedStopped(ss *singletonv1.StatefulSingleton) map[types.UID]bool {
	uids := map[types.UID]bool{}
	for uid := range strings.SplitSeq(ss.Annotations[singletonv1.AnnotationConfirmedStopped], ",") {
		if uid = strings.TrimSpace(uid); uid != "" {
			uids[types.UID(uid)] = true
		}
	}
	return uids
}

// fenced reports whether a vanished pod's node is fenced: known, and deleted or out of service.
func fenced(nodeName string, nodes map[string]nodeFacts) bool {
	if nodeName == "" {
		return false
	}
	node := nodes[nodeName]
	return !node.Exists || node.OutOfService
}

// overlapping names the other StatefulSingletons (being deleted or not) that select one of the
// pods or list one as may run, sorted, and the oldest of them when it is older than ss. Of
// StatefulSingletons that share pods, only the oldest decides: two deciding at once could
// each release a pod on a view of the other's releases that its cache has not caught up with.
func overlapping(ss *singletonv1.StatefulSingleton, others []singletonv1.StatefulSingleton,
	pods []corev1.Pod,
) (names []string, elder string) {
	var oldest *singletonv1.StatefulSingleton
	for i := range others {
		other := &others[i]
		if other.UID == ss.UID || !sharesPods(other, pods) {
			continue
		}
		names = append(names, other.Name)
		if podwebhook.Older(other, ss) && (oldest == nil || podwebhook.Older(other, oldest)) {
			oldest = other
		}
	}
	slices.Sort(names)
	if oldest != nil {
		elder = oldest.Name
	}
	return names, elder
}

// sharesPods reports whether the StatefulSingleton selects one of the pods, or lists one as
// may run.
func sharesPods(ss *singletonv1.StatefulSingleton, pods []corev1.Pod) bool {
	selector := podwebhook.Selector(ss)
	for i := range pods {
		if selector.Matches(labels.Set(pods[i].Labels)) || lists(ss, pods[i].UID) {
			return true
		}
	}
	return false
}

// lists reports whether the StatefulSingleton's status lists the pod as may run.
func lists(ss *singletonv1.StatefulSingleton, uid types.UID) bool {
	return slices.ContainsFunc(ss.Status.MayRunPods, func(r singletonv1.PodReference) bool { return r.UID == uid })
}
