package kubestellar

import (
	"context"
	"fmt"
	"slices"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// +kubebuilder:rbac:groups=control.kubestellar.io,resources=bindings/status,verbs=get;update;patch

// collectorsCondition is the StatusCollectorsAvailable condition KubeStellar's status
// controller keeps on every Binding: False naming the collectors its entries name that do not
// exist (sorted), else True.
func collectorsCondition(missing []string) controlv1alpha1.BindingPolicyCondition {
	if len(missing) > 0 {
		return controlv1alpha1.BindingPolicyCondition{
			Type:    controlv1alpha1.TypeStatusCollectorsAvailable,
			Status:  corev1.ConditionFalse,
			Reason:  controlv1alpha1.ReasonReconcileError,
			Message: fmt.Sprintf("Missing StatusCollector(s) %s", missing),
		}
	}
	return controlv1alpha1.BindingPolicyCondition{
		Type:    controlv1alpha1.TypeStatusCollectorsAvailable,
		Status:  corev1.ConditionTrue,
		Reason:  controlv1alpha1.ReasonReconcileSuccess,
		Message: "All StatusCollector(s) are available",
	}
}

// checkBinding keeps the StatusCollectorsAvailable condition of a Binding, written with an
// update pinned to the version read (the binding controller writes the same status).
// stale tells that the Binding changed meanwhile: its event queues it again.
func (c *connection) checkBinding(ctx context.Context, name string) (stale bool, err error) {
	b := &controlv1alpha1.Binding{}
	if err := c.wds.GetCache().Get(ctx, client.ObjectKey{Name: name}, b); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	var missing []string
	for _, n := range collectorNames(b) {
		err := c.wds.GetCache().Get(ctx, client.ObjectKey{Name: n}, &controlv1alpha1.StatusCollector{})
		switch {
		case apierrors.IsNotFound(err):
			missing = append(missing, n)
		case err != nil:
			return false, err
		}
	}
	slices.Sort(missing)
	b = b.DeepCopy() // the cache's copy is shared
	conds, changed := controlv1alpha1.SetCondition(b.Status.Conditions, collectorsCondition(missing))
	if !changed {
		return false, nil
	}
	b.Status.Conditions = conds
	err = c.wds.GetClient().Status().Update(ctx, b, client.FieldOwner(FieldManager))
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return true, nil
	}
	return false, err
}
