package apps

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// podNodeNameField indexes pods by the node they are bound to.
const podNodeNameField = "spec.nodeName"

// gather reads, from the caches, the pods a StatefulSingleton selects and the nodes they are
// bound to, and reduces them to facts.
func (r *StatefulSingletonReconciler) gather(
	ctx context.Context, ss *singletonv1.StatefulSingleton,
) ([]corev1.Pod, []podFacts, error) {
	selector, err := metav1.LabelSelectorAsSelector(&ss.Spec.Selector)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing the selector of %s: %w", klog.KObj(ss), err)
	}
	list := &corev1.PodList{}
	inScope := []client.ListOption{client.InNamespace(ss.Namespace), client.MatchingLabelsSelector{Selector: selector}}
	if err := r.List(ctx, list, inScope...); err != nil {
		return nil, nil, fmt.Errorf("listing pods for %s: %w", klog.KObj(ss), err)
	}
	nodes, err := r.nodesOf(ctx, list.Items)
	if err != nil {
		return nil, nil, err
	}
	owners, err := r.owners(ctx, list.Items)
	if err != nil {
		return nil, nil, err
	}
	facts := make([]podFacts, 0, len(list.Items))
	for i := range list.Items {
		f := observePod(&list.Items[i], nodes)
		owner := owners[list.Items[i].UID]
		f.Revision, f.OwnerReplicas = owner.Revision, owner.Replicas
		facts = append(facts, f)
	}
	return list.Items, facts, nil
}

// nodesOf reads the nodes the pods are bound to; a node that is not found is left out, which
// observePod takes for deleted.
func (r *StatefulSingletonReconciler) nodesOf(ctx context.Context, pods []corev1.Pod) (map[string]nodeFacts, error) {
	nodes := map[string]nodeFacts{}
	for i := range pods {
		name := pods[i].Spec.NodeName
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

// selects reports whether the StatefulSingleton's selector matches a set of pod labels. A
// selector that does not parse, or is empty, matches nothing.
func selects(ss *singletonv1.StatefulSingleton, podLabels map[string]string) bool {
	selector, err := metav1.LabelSelectorAsSelector(&ss.Spec.Selector)
	if err != nil || selector.Empty() {
		return false
	}
	return selector.Matches(labels.Set(podLabels))
}
