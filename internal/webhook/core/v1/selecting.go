package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// Selecting returns, of the StatefulSingletons given, the one that selects a pod with these
// labels, or nil when none does. An empty or invalid selector selects nothing. Of several, a
// live one wins over one being deleted (which still prepares the pods it selects, since its
// hand-back needs them held), then the oldest, the name breaking ties.
func Selecting(items []singletonv1.StatefulSingleton, podLabels map[string]string) *singletonv1.StatefulSingleton {
	var best *singletonv1.StatefulSingleton
	for i := range items {
		ss := &items[i]
		if !selects(&ss.Spec.Selector, podLabels) {
			continue
		}
		if best == nil || preferred(ss, best) {
			best = ss
		}
	}
	return best
}

func selects(selector *metav1.LabelSelector, podLabels map[string]string) bool {
	if len(selector.MatchLabels) == 0 && len(selector.MatchExpressions) == 0 {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil {
		return false
	}
	return s.Matches(labels.Set(podLabels))
}

// preferred reports whether a wins over b: live before deleting, then older, then by name.
func preferred(a, b *singletonv1.StatefulSingleton) bool {
	if aLive, bLive := a.DeletionTimestamp.IsZero(), b.DeletionTimestamp.IsZero(); aLive != bLive {
		return aLive
	}
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Name < b.Name
}
