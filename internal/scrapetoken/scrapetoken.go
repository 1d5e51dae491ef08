// Package scrapetoken keeps the Secret that holds the token Prometheus scrapes the manager's
// metrics with: a kubernetes.io/service-account-token Secret of the metrics scraper's
// ServiceAccount, which the ServiceMonitor names in its authorization (docs/monitoring.md).
//
// The manager makes the Secret rather than the bundle, because Kubernetes' token controller
// deletes a token Secret whose ServiceAccount does not exist yet, and OLM creates a bundle's
// Secrets before the ServiceAccounts of the CSV's permissions. The manager runs only once
// OLM has made those ServiceAccounts.
package scrapetoken

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

// Keeper makes sure the token Secret exists in Namespace, now and every Interval.
type Keeper struct {
	// Reader reads the Secret from the API server (not a cache).
	Reader client.Reader
	// Writer creates it.
	Writer client.Writer
	// Namespace is the operator's namespace.
	Namespace string
	// SecretName is the Secret the ServiceMonitor reads the token from.
	SecretName string
	// ServiceAccountName is the ServiceAccount the token is issued for.
	ServiceAccountName string
	// Interval between checks; the Secret is made again when someone deleted it.
	Interval time.Duration
}

// Desired is the Secret the token controller fills with a token of the ServiceAccount.
func (k *Keeper) Desired() *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:      k.SecretName,
			Namespace: k.Namespace,
			Labels:    map[string]string{"app.kubernetes.io/name": "singleton-operator"},
			Annotations: map[string]string{
				corev1.ServiceAccountNameKey: k.ServiceAccountName,
			},
		},
		Type: corev1.SecretTypeServiceAccountToken,
	}
}

// Ensure creates the Secret when it does not exist. An existing Secret is left as it is.
func (k *Keeper) Ensure(ctx context.Context) error {
	var s corev1.Secret
	err := k.Reader.Get(ctx, types.NamespacedName{Namespace: k.Namespace, Name: k.SecretName}, &s)
	if err == nil {
		return nil
	}
	if !apierrors.IsNotFound(err) {
		return fmt.Errorf("reading the metrics scrape token Secret: %w", err)
	}
	if err := k.Writer.Create(ctx, k.Desired()); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the metrics scrape token Secret: %w", err)
	}
	logf.FromContext(ctx).Info("Created the metrics scrape token Secret",
		"secret", k.SecretName, "serviceAccount", k.ServiceAccountName)
	return nil
}

// Start runs Ensure until ctx ends (a controller-runtime Runnable). Errors are logged and
// retried at the next interval: scraping, not the operator, depends on the Secret.
func (k *Keeper) Start(ctx context.Context) error {
	log := logf.FromContext(ctx).WithName("scrapetoken")
	interval := k.Interval
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	for {
		if err := k.Ensure(ctx); err != nil {
			log.Error(err, "Metrics scrape token Secret not ensured; retrying", "in", interval)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

// NeedLeaderElection is true: one replica writes.
func (k *Keeper) NeedLeaderElection() bool { return true }
