package webhookguard

import (
	"context"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
)

// DefaultName is the guard configuration's name unless --guard-webhook-configuration-name
// says otherwise; the manager's ClusterRole may write only the configuration of this name.
const DefaultName = "singleton-operator-guard"

// Reconciler keeps the guard configuration in step with the StatefulSingletons and the main
// webhook configuration. It runs on the leader only. Every event leads to the one request
// for the guard configuration, so it never runs twice at once.
type Reconciler struct {
	client.Client
	Recorder events.EventRecorder
	// Name of the guard configuration.
	Name string
	// MainName names the main configuration (--webhook-configuration-name), as config/webhook
	// installs it; the main configurations OLM makes carry OLMWebhookLabel instead.
	MainName string

	// reported holds, per StatefulSingleton left out of the guard configuration, the
	// generation already reported, so that its event is sent once per spec.
	reported map[types.UID]int64
}

// The guard configuration: read every MutatingWebhookConfiguration (OLM names the main one
// <generateName>-<random>), and write only the one named DefaultName. Server-side apply
// authorizes the create of a missing object with its name, so resourceNames holds for create
// too. Change resourceNames with --guard-webhook-configuration-name.
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=mutatingwebhookconfigurations,verbs=get;list;watch
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=mutatingwebhookconfigurations,resourceNames=singleton-operator-guard,verbs=create;update;patch;delete
// +kubebuilder:rbac:groups=apps.statefulsingleton.com,resources=statefulsingletons,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile gathers the StatefulSingletons and the main configurations from the cache, builds
// the guard configuration, reports the StatefulSingletons left out, and applies the guard
// configuration when it differs from what the API server holds.
func (r *Reconciler) Reconcile(ctx context.Context, _ ctrl.Request) (ctrl.Result, error) {
	in, current, err := r.gather(ctx)
	if err != nil {
		return ctrl.Result{}, err
	}
	res := Build(in)
	r.reportSkipped(ctx, res.Skipped)
	return ctrl.Result{}, r.apply(ctx, current, res)
}

// gather reads, from the cache, the StatefulSingletons of every namespace, the main
// configurations, and the guard configuration (nil when it does not exist).
func (r *Reconciler) gather(ctx context.Context) (Input, *admissionregistrationv1.MutatingWebhookConfiguration, error) {
	in := Input{Name: r.Name}
	singletons := &singletonv1.StatefulSingletonList{}
	if err := r.List(ctx, singletons); err != nil {
		return in, nil, fmt.Errorf("listing StatefulSingletons: %w", err)
	}
	in.Singletons = singletons.Items
	configs := &admissionregistrationv1.MutatingWebhookConfigurationList{}
	if err := r.List(ctx, configs); err != nil {
		return in, nil, fmt.Errorf("listing MutatingWebhookConfigurations: %w", err)
	}
	var current *admissionregistrationv1.MutatingWebhookConfiguration
	for i := range configs.Items {
		switch cfg := &configs.Items[i]; {
		case cfg.Name == r.Name:
			current = cfg
		case r.isMain(cfg):
			in.Main = append(in.Main, *cfg)
		}
	}
	return in, current, nil
}

// isMain reports whether a webhook configuration is one of the operator's main ones.
func (r *Reconciler) isMain(obj client.Object) bool {
	return obj.GetName() != r.Name &&
		(obj.GetName() == r.MainName || obj.GetLabels()[OLMWebhookLabel] == podwebhook.WebhookName)
}

// SetupWithManager registers the reconciler: it runs when a StatefulSingleton is created,
// deleted or changes its spec, and when the main or the guard configuration changes.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Name == "" {
		return fmt.Errorf("the guard webhook configuration has no name")
	}
	r.reported = map[types.UID]int64{}
	guard := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: r.Name}}}
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("webhookguard").
		Watches(&singletonv1.StatefulSingleton{}, guard,
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&admissionregistrationv1.MutatingWebhookConfiguration{}, guard,
			builder.WithPredicates(predicate.NewPredicateFuncs(func(obj client.Object) bool {
				return obj.GetName() == r.Name || r.isMain(obj)
			}))).
		Complete(r)
}
