package webhookguard

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
)

const (
	// EntrySuffix ends the name of every guard entry: <StatefulSingleton UID>.<EntrySuffix>.
	EntrySuffix = "guard.statefulsingleton.com"
	// TimeoutSeconds bounds one call of a guard entry; past it the API server refuses the pod.
	TimeoutSeconds = 5
	// OLMWebhookLabel is the label OLM puts on the webhook configurations it makes from a
	// CSV's webhookdefinitions, with the definition's generateName as value.
	OLMWebhookLabel = "olm.webhook-description-generate-name"
)

// Labels are the labels of the guard configuration.
var Labels = map[string]string{
	"app.kubernetes.io/name":       "singleton-operator",
	"app.kubernetes.io/component":  "webhook-guard",
	"app.kubernetes.io/managed-by": "singleton-operator",
}

// Input is what the guard configuration is built from.
type Input struct {
	// Name is the guard configuration's name.
	Name string
	// Main are the operator's main webhook configurations: normally one, two while OLM
	// replaces one CSV with the next.
	Main []admissionregistrationv1.MutatingWebhookConfiguration
	// Singletons are the StatefulSingletons of every namespace, those being deleted included.
	Singletons []singletonv1.StatefulSingleton
}

// Result is the guard configuration to keep, and the StatefulSingletons left out of it.
type Result struct {
	// Config is the guard configuration to apply; nil when there is no main configuration
	// to copy the webhook's address from, and then no guard configuration may exist.
	Config *admissionregistrationv1.MutatingWebhookConfiguration
	// NoMain says why Config is nil.
	NoMain string
	// Skipped are the StatefulSingletons that have no entry, with the reason.
	Skipped []Skipped
}

// Skipped is a StatefulSingleton whose selector cannot be a webhook objectSelector.
type Skipped struct {
	Singleton *singletonv1.StatefulSingleton
	Reason    string
}

// Build returns the guard configuration for in: one entry per StatefulSingleton, being
// deleted or not, in the order of their namespace and name, each sending the CREATE of the
// pods it selects in its namespace to the guard path of the main configuration's webhook,
// with failurePolicy Fail. It is owned by every main configuration.
func Build(in Input) Result {
	main, hook := newestMain(in.Main)
	if hook == nil {
		return Result{NoMain: fmt.Sprintf("no main webhook configuration holds the webhook %s", podwebhook.WebhookName)}
	}
	clientConfig, err := guardClientConfig(hook.ClientConfig)
	if err != nil {
		return Result{NoMain: fmt.Sprintf("webhook %s of MutatingWebhookConfiguration %s: %v",
			hook.Name, main.Name, err)}
	}

	singletons := slices.Clone(in.Singletons)
	slices.SortFunc(singletons, func(a, b singletonv1.StatefulSingleton) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name), cmp.Compare(a.UID, b.UID))
	})
	var res Result
	webhooks := []admissionregistrationv1.MutatingWebhook{}
	for i := range singletons {
		ss := &singletons[i]
		selector, err := ObjectSelector(ss.Spec.Selector)
		if err != nil {
			res.Skipped = append(res.Skipped, Skipped{Singleton: ss, Reason: err.Error()})
			continue
		}
		webhooks = append(webhooks, entry(ss, clientConfig, selector))
	}
	res.Config = &admissionregistrationv1.MutatingWebhookConfiguration{
		TypeMeta: metav1.TypeMeta{
			APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "MutatingWebhookConfiguration",
		},
		ObjectMeta: metav1.ObjectMeta{
			Name:            in.Name,
			Labels:          maps.Clone(Labels),
			OwnerReferences: ownerReferences(in.Main),
		},
		Webhooks: webhooks,
	}
	return res
}

// EntryName is the name of the guard entry of the StatefulSingleton with this UID: unique
// (one StatefulSingleton deleted and created again under the same name gets a new entry) and
// fully qualified, as the API server requires.
func EntryName(uid types.UID) string {
	return string(uid) + "." + EntrySuffix
}

// ObjectSelector is the objectSelector of a StatefulSingleton's entry: its selector, and the
// exclusion of the operator's own pods. It fails for a selector the API server would refuse
// as an objectSelector, and for an empty one (which selects no pod in the webhook, but every
// pod as an objectSelector).
func ObjectSelector(selector metav1.LabelSelector) (*metav1.LabelSelector, error) {
	if len(selector.MatchLabels) == 0 && len(selector.MatchExpressions) == 0 {
		return nil, errors.New("the selector is empty")
	}
	// The API server validates an objectSelector with these options (admissionregistration
	// validation); the selector must also parse, as the webhook parses it.
	errs := metav1validation.ValidateLabelSelector(&selector, metav1validation.LabelSelectorValidationOptions{},
		field.NewPath("spec", "selector"))
	if len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	if _, err := metav1.LabelSelectorAsSelector(&selector); err != nil {
		return nil, err
	}
	out := selector.DeepCopy()
	out.MatchExpressions = append(out.MatchExpressions, podwebhook.OperatorPodsExclusion())
	return out, nil
}

// newestMain returns the newest main configuration that holds the pod webhook, and that
// webhook; the one OLM made for the newest CSV during an upgrade.
func newestMain(mains []admissionregistrationv1.MutatingWebhookConfiguration,
) (*admissionregistrationv1.MutatingWebhookConfiguration, *admissionregistrationv1.MutatingWebhook) {
	var (
		best *admissionregistrationv1.MutatingWebhookConfiguration
		hook *admissionregistrationv1.MutatingWebhook
	)
	for i := range mains {
		m := &mains[i]
		j := slices.IndexFunc(m.Webhooks, func(w admissionregistrationv1.MutatingWebhook) bool {
			return w.Name == podwebhook.WebhookName
		})
		if j < 0 {
			continue
		}
		if best == nil || newer(m, best) {
			best, hook = m, &m.Webhooks[j]
		}
	}
	return best, hook
}

func newer(a, b *admissionregistrationv1.MutatingWebhookConfiguration) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return b.CreationTimestamp.Before(&a.CreationTimestamp)
	}
	return a.Name < b.Name
}

// guardClientConfig is the main webhook's clientConfig, caBundle included, with the guard
// path in place of the main one.
func guardClientConfig(main admissionregistrationv1.WebhookClientConfig,
) (admissionregistrationv1.WebhookClientConfig, error) {
	cc := *main.DeepCopy()
	switch {
	case cc.Service != nil:
		cc.Service.Path = ptr.To(podwebhook.GuardPath)
	case cc.URL != nil:
		u, err := url.Parse(*cc.URL)
		if err != nil {
			return cc, fmt.Errorf("its URL does not parse: %w", err)
		}
		u.Path, u.RawPath = podwebhook.GuardPath, ""
		cc.URL = ptr.To(u.String())
	default:
		return cc, errors.New("its clientConfig has neither a Service nor a URL")
	}
	return cc, nil
}

// entry is the guard entry of one StatefulSingleton. Every field the API server would
// default is set, so that what it holds compares equal to what Build returns.
func entry(ss *singletonv1.StatefulSingleton, cc admissionregistrationv1.WebhookClientConfig,
	selector *metav1.LabelSelector,
) admissionregistrationv1.MutatingWebhook {
	return admissionregistrationv1.MutatingWebhook{
		Name:         EntryName(ss.UID),
		ClientConfig: *cc.DeepCopy(),
		Rules: []admissionregistrationv1.RuleWithOperations{{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
			Rule: admissionregistrationv1.Rule{
				APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"},
				Scope: ptr.To(admissionregistrationv1.NamespacedScope),
			},
		}},
		FailurePolicy: ptr.To(admissionregistrationv1.Fail),
		MatchPolicy:   ptr.To(admissionregistrationv1.Equivalent),
		NamespaceSelector: &metav1.LabelSelector{
			MatchLabels: map[string]string{corev1.LabelMetadataName: ss.Namespace},
		},
		ObjectSelector:          selector,
		SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
		TimeoutSeconds:          ptr.To[int32](TimeoutSeconds),
		AdmissionReviewVersions: []string{"v1"},
		ReinvocationPolicy:      ptr.To(admissionregistrationv1.IfNeededReinvocationPolicy),
	}
}

// ownerReferences point at every main configuration, in the order of their names: the
// garbage collector deletes the guard configuration once they are all gone.
func ownerReferences(mains []admissionregistrationv1.MutatingWebhookConfiguration) []metav1.OwnerReference {
	refs := make([]metav1.OwnerReference, 0, len(mains))
	for i := range mains {
		refs = append(refs, metav1.OwnerReference{
			APIVersion: admissionregistrationv1.SchemeGroupVersion.String(),
			Kind:       "MutatingWebhookConfiguration",
			Name:       mains[i].Name,
			UID:        mains[i].UID,
		})
	}
	slices.SortFunc(refs, func(a, b metav1.OwnerReference) int { return cmp.Compare(a.Name, b.Name) })
	return refs
}
