package webhookguard

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
)

const (
	// ReasonSelectorNotGuarded is the reason of the Warning event on a StatefulSingleton whose
	// selector cannot be a webhook objectSelector, so that it has no guard entry.
	ReasonSelectorNotGuarded = "SelectorNotGuarded"
	actionGuard              = "Guard"
)

// reportSkipped logs and records an event for each StatefulSingleton left out of the guard
// configuration, once per generation of its spec, and forgets those no longer left out.
func (r *Reconciler) reportSkipped(ctx context.Context, skipped []Skipped) {
	seen := make(map[types.UID]bool, len(skipped))
	for _, s := range skipped {
		ss := s.Singleton
		seen[ss.UID] = true
		if gen, ok := r.reported[ss.UID]; ok && gen == ss.Generation {
			continue
		}
		r.reported[ss.UID] = ss.Generation
		ctrl.LoggerFrom(ctx).Info("A StatefulSingleton's selector cannot be a webhook objectSelector; "+
			"it has no guard entry, so the admission of its pods does not fail closed",
			"statefulSingleton", klog.KObj(ss), "reason", s.Reason)
		if r.Recorder != nil {
			r.Recorder.Eventf(ss, nil, corev1.EventTypeWarning, ReasonSelectorNotGuarded, actionGuard,
				"The selector cannot be a webhook objectSelector (%s), so this StatefulSingleton has no guard entry: "+
					"its pods are admitted unprepared whenever the webhook cannot be reached or cannot decide", s.Reason)
		}
	}
	for uid := range r.reported {
		if !seen[uid] {
			delete(r.reported, uid)
		}
	}
}
