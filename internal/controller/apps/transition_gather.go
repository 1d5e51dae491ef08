package apps

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// podNodeNameField indexes pods by the node they are bound to.
const podNodeNameField = "spec.nodeName"

// gather reads from the caches everything a decision about the StatefulSingleton rests on:
// the pods it selects, the pods its status lists as may run (by UID, wherever their labels
// went), their nodes and owners, and the other StatefulSingletons of the namespace.
func (r *StatefulSingletonReconciler) gather(ctx context.Context, ss *singletonv1.StatefulSingleton,
) (observation, error) {
	o := observation{SS: ss, Releasing: r.ledger.has, Now: time.Now()}
	selected, selectorErr, err := r.selectedPods(ctx, ss)
	if err != nil {
		return o, err
	}
	o.Selected, o.SelectorError = selected, selectorErr
	if o.Recorded, err = r.recordedPods(ctx, ss, selected); err != nil {
		return o, err
	}
	all := append(slices.Clone(o.Selected), o.Recorded...)
	for i := range all {
		if hasRelease(&all[i]) {
			r.ledger.seen(all[i].UID)
		}
	}
	nodeNames := make([]string, 0, len(all)+len(ss.Status.MayRunPods))
	for i := range all {
		nodeNames = append(nodeNames, all[i].Spec.NodeName)
	}
	for _, ref := range ss.Status.MayRunPods {
		nodeNames = append(nodeNames, ref.NodeName)
	}
	if o.Nodes, err = r.nodesOf(ctx, nodeNames); err != nil {
		return o, err
	}
	if o.Owners, err = r.owners(ctx, all); err != nil {
		return o, err
	}
	if r.Gate != nil {
		uids := make([]types.UID, 0, len(all))
		for i := range all {
			uids = append(uids, all[i].UID)
		}
		o.GateLedger = r.Gate.Snapshot(uids...)
	}
	others := &singletonv1.StatefulSingletonList{}
	if err := r.List(ctx, others, client.InNamespace(ss.Namespace)); err != nil {
		return o, fmt.Errorf("listing the StatefulSingletons of %s: %w", ss.Namespace, err)
	}
	o.Others = others.Items
	return o, nil
}

// selectedPods lists the pods the selector matches; a selector that does not parse selects
// nothing and is returned as a reason, not an error: it needs the user, not a retry.
func (r *StatefulSingletonReconciler) selectedPods(ctx context.Context, ss *singletonv1.StatefulSingleton,
) ([]corev1.Pod, string, error) {
	selector, err := metav1.LabelSelectorAsSelector(&ss.Spec.Selector)
	if err != nil {
		return nil, err.Error(), nil
	}
	list := &corev1.PodList{}
	inScope := []client.ListOption{client.InNamespace(ss.Namespace), client.MatchingLabelsSelector{Selector: selector}}
	if err := r.List(ctx, list, inScope...); err != nil {
		return nil, "", fmt.Errorf("listing pods for %s: %w", klog.KObj(ss), err)
	}
	return list.Items, "", nil
}

// recordedPods reads the pods the status lists as may run that the selector no longer matches;
// a pod of that name with another UID is another pod, and is left out.
func (r *StatefulSingletonReconciler) recordedPods(ctx context.Context, ss *singletonv1.StatefulSingleton,
	selected []corev1.Pod,
) ([]corev1.Pod, error) {
	var pods []corev1.Pod
	for _, ref := range ss.Status.MayRunPods {
		if slices.ContainsFunc(selected, func(p corev1.Pod) bool { return p.UID == ref.UID }) {
			continue
		}
		pod := &corev1.Pod{}
		switch err := r.Get(ctx, client.ObjectKey{Namespace: ss.Namespace, Name: ref.Name}, pod); {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return nil, fmt.Errorf("reading pod %s/%s: %w", ss.Namespace, ref.Name, err)
		}
		if pod.UID == ref.UID {
			pods = append(pods, *pod)
		}
	}
	return pods, nil
}

// nodesOf reads the nodes named; a node that is not found is left out, which observePod takes
// for deleted.
func (r *StatefulSingletonReconciler) nodesOf(ctx context.Context, names []string) (map[string]nodeFacts, error) {
	nodes := map[string]nodeFacts{}
	for _, name := range names {
		if _, seen := nodes[name]; seen || name == "" {
			continue
		}
		node := &corev1.Node{}
		switch err := r.Get(ctx, client.ObjectKey{Name: name}, node); {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return nil, fmt.Errorf("reading node %s: %w", name, err)
		}
		nodes[name] = nodeFacts{Exists: true, OutOfService: outOfService(node)}
	}
	return nodes, nil
}

// outOfService reports whether the node carries the out-of-service taint, which fences it.
func outOfService(node *corev1.Node) bool {
	for _, t := range node.Spec.Taints {
		if t.Key == singletonv1.TaintOutOfService {
			return true
		}
	}
	return false
}
