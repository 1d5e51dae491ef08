package controllers

import (
	"context"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// deploymentRevisionAnnotation is where the Deployment controller numbers a ReplicaSet's revision.
const deploymentRevisionAnnotation = "deployment.kubernetes.io/revision"

// revisions ranks each pod's template among its workload's revisions (see podFacts.Revision):
// a Deployment's ReplicaSets by their revision number, a StatefulSet's pods by whether they have
// its update revision. Pods of other owners, and owners not found, get 0.
func (r *StatefulSingletonReconciler) revisions(ctx context.Context, pods []corev1.Pod) (map[types.UID]int64, error) {
	byOwner := map[types.UID]int64{}
	byPod := make(map[types.UID]int64, len(pods))
	for i := range pods {
		pod := &pods[i]
		ref := metav1.GetControllerOf(pod)
		if ref == nil {
			continue
		}
		switch ref.Kind {
		case "ReplicaSet":
			rev, seen := byOwner[ref.UID]
			if !seen {
				var err error
				if rev, err = r.replicaSetRevision(ctx, pod.Namespace, ref.Name); err != nil {
					return nil, err
				}
				byOwner[ref.UID] = rev
			}
			byPod[pod.UID] = rev
		case "StatefulSet":
			rev, err := r.statefulSetRevision(ctx, pod, ref.Name)
			if err != nil {
				return nil, err
			}
			byPod[pod.UID] = rev
		}
	}
	return byPod, nil
}

// replicaSetRevision reads the revision number of a ReplicaSet from its metadata only.
func (r *StatefulSingletonReconciler) replicaSetRevision(ctx context.Context, namespace, name string) (int64, error) {
	rs := &metav1.PartialObjectMetadata{}
	rs.SetGroupVersionKind(appsv1.SchemeGroupVersion.WithKind("ReplicaSet"))
	switch err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, rs); {
	case apierrors.IsNotFound(err):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("reading ReplicaSet %s/%s: %w", namespace, name, err)
	}
	rev, err := strconv.ParseInt(rs.Annotations[deploymentRevisionAnnotation], 10, 64)
	if err != nil {
		return 0, nil //nolint:nilerr // A ReplicaSet without a revision number has no rank.
	}
	return rev, nil
}

// statefulSetRevision ranks a StatefulSet's pod: 2 when it has the update revision, else 1.
func (r *StatefulSingletonReconciler) statefulSetRevision(
	ctx context.Context, pod *corev1.Pod, name string,
) (int64, error) {
	sts := &appsv1.StatefulSet{}
	switch err := r.Get(ctx, client.ObjectKey{Namespace: pod.Namespace, Name: name}, sts); {
	case apierrors.IsNotFound(err):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("reading StatefulSet %s/%s: %w", pod.Namespace, name, err)
	}
	if sts.Status.UpdateRevision != "" && pod.Labels[appsv1.ControllerRevisionHashLabelKey] == sts.Status.UpdateRevision {
		return 2, nil
	}
	return 1, nil
}
