package webhookguard

import (
	"context"
	"encoding/json"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	admissionregistrationv1ac "k8s.io/client-go/applyconfigurations/admissionregistration/v1"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldManager owns, in server-side apply, the fields of the guard configuration that the
// operator writes.
const FieldManager = "singleton-operator-webhookguard"

// apply makes the API server hold what Build returned: the guard configuration applied when
// it differs from current, or deleted when there is no main configuration to copy from.
func (r *Reconciler) apply(ctx context.Context, current *admissionregistrationv1.MutatingWebhookConfiguration,
	res Result,
) error {
	log := ctrl.LoggerFrom(ctx).WithValues("mutatingWebhookConfiguration", klog.KRef("", r.Name))
	if res.Config == nil {
		if current == nil {
			log.V(1).Info("No guard configuration while there is no main one", "reason", res.NoMain)
			return nil
		}
		log.Info("Deleting the guard configuration: there is no main one to copy the webhook's address from",
			"reason", res.NoMain)
		err := client.IgnoreNotFound(r.Delete(ctx, current, client.Preconditions{UID: &current.UID}))
		if err != nil {
			return fmt.Errorf("deleting MutatingWebhookConfiguration %s: %w", r.Name, err)
		}
		return nil
	}
	if current != nil && UpToDate(current, res.Config) {
		return nil
	}
	ac, err := applyConfiguration(res.Config)
	if err != nil {
		return err
	}
	if err := r.Apply(ctx, ac, client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying MutatingWebhookConfiguration %s: %w", r.Name, err)
	}
	log.Info("Applied the guard configuration", "entries", len(res.Config.Webhooks), "created", current == nil)
	return nil
}

// UpToDate reports whether current holds everything the operator applies of desired: the
// same entries, the same owners and the operator's labels. Build sets every field the API
// server defaults, so an applied configuration compares equal.
func UpToDate(current, desired *admissionregistrationv1.MutatingWebhookConfiguration) bool {
	for k, v := range desired.Labels {
		if current.Labels[k] != v {
			return false
		}
	}
	return sameOwners(current.OwnerReferences, desired.OwnerReferences) &&
		apiequality.Semantic.DeepEqual(current.Webhooks, desired.Webhooks)
}

// sameOwners compares two lists of owner references as sets.
func sameOwners(a, b []metav1.OwnerReference) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		found := false
		for j := range b {
			if apiequality.Semantic.DeepEqual(a[i], b[j]) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// applyConfiguration turns a typed configuration into the apply configuration of the same
// fields (a typed object's zero values, such as its creationTimestamp, are not sent).
func applyConfiguration(cfg *admissionregistrationv1.MutatingWebhookConfiguration,
) (*admissionregistrationv1ac.MutatingWebhookConfigurationApplyConfiguration, error) {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encoding MutatingWebhookConfiguration %s: %w", cfg.Name, err)
	}
	ac := &admissionregistrationv1ac.MutatingWebhookConfigurationApplyConfiguration{}
	if err := json.Unmarshal(raw, ac); err != nil {
		return nil, fmt.Errorf("decoding MutatingWebhookConfiguration %s as an apply configuration: %w", cfg.Name, err)
	}
	return ac, nil
}
