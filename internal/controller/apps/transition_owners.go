package apps

import (
	"context"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// deploymentRevisionAnnotation is where the Deployment controller numbers a ReplicaSet's revision.
const deploymentRevisionAnnotation = "deployment.kubernetes.io/revision"

// ownerFacts is what a decision needs to know about the workload that owns a pod.
type ownerFacts struct {
	// Revision ranks the pod's template among its workload's revisions (podFacts.Revision).
	Revision int64
	// Replicas is the number of pods the owner asks for.
	Replicas int32
}

// owners reads, for each pod owned by a ReplicaSet or a StatefulSet, that owner's facts: a
// ReplicaSet's revision number and replicas, or whether a StatefulSet's pod has its update
// revision (2) or not (1) and the StatefulSet's replicas. Other pods, and owners not found,
// are left out.
func (r *StatefulSingletonReconciler) owners(ctx context.Context, pods []corev1.Pod) (map[types.UID]ownerFacts, error) {
	byPod := make(map[types.UID]ownerFacts, len(pods))
	for i := range pods {
		pod := &pods[i]
		ref := metav1.GetControllerOf(pod)
		if ref == nil {
			continue
		}
		var (
			facts ownerFacts
			found bool
			err   error
		)
		switch ref.Kind {
		case "ReplicaSet":
			facts, found, err = r.replicaSetFacts(ctx, pod.Namespace, ref.Name)
		case "StatefulSet":
			facts, found, err = r.statefulSetFacts(ctx, pod, ref.Name)
		}
		if err != nil {
			return nil, err
		}
		if found {
			byPod[pod.UID] = facts
		}
	}
	return byPod, nil
}

func (r *StatefulSingletonReconciler) replicaSetFacts(
	ctx context.Context, namespace, name string,
) (ownerFacts, bool, error) {
	rs := &appsv1.ReplicaSet{}
	switch err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, rs); {
	case apierrors.IsNotFound(err):
		return ownerFacts{}, false, nil
	case err != nil:
		return ownerFacts{}, false, fmt.Errorf("reading ReplicaSet %s/%s: %w", namespace, name, err)
	}
	// A ReplicaSet without a revision number has no rank (0).
	rev, _ := strconv.ParseInt(rs.Annotations[deploymentRevisionAnnotation], 10, 64)
	return ownerFacts{Revision: rev, Replicas: ptr.Deref(rs.Spec.Replicas, 1)}, true, nil
}

func (r *StatefulSingletonReconciler) statefulSetFacts(
	ctx context.Context, pod *corev1.Pod, name string,
) (ownerFacts, bool, error) {
	sts := &appsv1.StatefulSet{}
	switch err := r.Get(ctx, client.ObjectKey{Namespace: pod.Namespace, Name: name}, sts); {
	case apierrors.IsNotFound(err):
		return ownerFacts{}, false, nil
	case err != nil:
		return ownerFacts{}, false, fmt.Errorf("reading StatefulSet %s/%s: %w", pod.Namespace, name, err)
	}
	facts := ownerFacts{Revision: 1, Replicas: ptr.Deref(sts.Spec.Replicas, 1)}
	if sts.Status.UpdateRevision != "" && pod.Labels[appsv1.ControllerRevisionHashLabelKey] == sts.Status.UpdateRevision {
		facts.Revision = 2
	}
	return facts, true, nil
}
