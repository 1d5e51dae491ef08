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
		if !Selects(ss, podLabels) {
			continue
		}
		if best == nil || preferred(ss, best) {
			best = ss
		}
	}
	return best
}

// Selects reports whether the StatefulSingleton's selector matches a pod with these labels.
func Selects(ss *singletonv1.StatefulSingleton, podLabels map[string]string) bool {
	return Selector(ss).Matches(labels.Set(podLabels))
}

// Selector is the StatefulSingleton's selector; an empty one, or one that does not parse,
// selects nothing (an empty selector would otherwise select every pod of the namespace).
func Selector(ss *singletonv1.StatefulSingleton) labels.Selector {
	s, err := metav1.LabelSelectorAsSelector(&ss.Spec.Selector)
	if err != nil || s.Empty() {
		return labels.Nothing()
	}
	return s
}

// preferred reports whether a wins over b: live before deleting, then the older.
func preferred(a, b *singletonv1.StatefulSingleton) bool {
	if aLive, bLive := a.DeletionTimestamp.IsZero(), b.DeletionTimestamp.IsZero(); aLive != bLive {
		return aLive
	}
	return Older(a, b)
}

// Older orders StatefulSingletons by creation, the name breaking ties: of StatefulSingletons
// that select the same pod, the webhook prepares it for the oldest, and the oldest decides.
func Older(a, b *singletonv1.StatefulSingleton) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Name < b.Name
}
