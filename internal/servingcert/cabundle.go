package servingcert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// DefaultRepairInterval is how often a CABundleInjector repairs the caBundle by default.
const DefaultRepairInterval = 10 * time.Minute

// SetCABundle sets the caBundle of every webhook of cfg to ca, and reports whether any changed.
func SetCABundle(cfg *admissionregistrationv1.MutatingWebhookConfiguration, ca []byte) bool {
	changed := false
	for i := range cfg.Webhooks {
		cc := &cfg.Webhooks[i].ClientConfig
		if !bytes.Equal(cc.CABundle, ca) {
			cc.CABundle = bytes.Clone(ca)
			changed = true
		}
	}
	return changed
}

// CABundleInjector writes the CA of a Holder into the caBundle of every webhook of one
// MutatingWebhookConfiguration: when it starts, when the CA changes, and every Interval to
// repair what others changed. It patches only when the caBundle differs. A configuration that
// does not exist (the webhook is not installed) is not an error: it is looked for again at the
// next interval. It is a manager Runnable that runs on every replica; all of them read their
// CA from the same Secret.
type CABundleInjector struct {
	// Reader reads the configuration without a cache (manager.GetAPIReader).
	Reader client.Reader
	// Writer patches the configuration.
	Writer client.Writer
	// Name of the MutatingWebhookConfiguration.
	Name string
	// Holder has the CA, from a Keeper.
	Holder *Holder
	// Interval between two repairs; DefaultRepairInterval when zero.
	Interval time.Duration
	// Clock ticks; the real clock when nil.
	Clock clock.WithTicker
	// Log receives what the injector does.
	Log logr.Logger
}

// NeedLeaderElection is false: a replica that is not the leader still serves the webhook.
func (i *CABundleInjector) NeedLeaderElection() bool { return false }

// Start injects the CA now, after every change of the CA, and every Interval, until ctx ends.
// Failures are logged and tried again at the next interval.
func (i *CABundleInjector) Start(ctx context.Context) error {
	interval := i.Interval
	if interval <= 0 {
		interval = DefaultRepairInterval
	}
	c := i.Clock
	if c == nil {
		c = clock.RealClock{}
	}
	ticker := c.NewTicker(interval)
	defer ticker.Stop()
	for {
		if err := i.Inject(ctx); err != nil {
			i.Log.Error(err, "Unable to inject the CA bundle", "mutatingWebhookConfiguration", klog.KRef("", i.Name))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C():
		case <-i.Holder.CAChanged():
		}
	}
}

// Inject sets the caBundle of the configuration to the Holder's CA once, if it differs.
func (i *CABundleInjector) Inject(ctx context.Context) error {
	ca := i.Holder.CA()
	if len(ca) == 0 {
		return errors.New("no CA loaded yet")
	}
	return retry.RetryOnConflict(retry.DefaultBackoff, func() error { return i.inject(ctx, ca) })
}

func (i *CABundleInjector) inject(ctx context.Context, ca []byte) error {
	log := i.Log.WithValues("mutatingWebhookConfiguration", klog.KRef("", i.Name))
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
	err := i.Reader.Get(ctx, client.ObjectKey{Name: i.Name}, cfg)
	if apierrors.IsNotFound(err) {
		log.V(1).Info("Webhook configuration not found; its CA bundle is injected once it exists")
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading MutatingWebhookConfiguration %s: %w", i.Name, err)
	}
	before := cfg.DeepCopy()
	if !SetCABundle(cfg, ca) {
		return nil
	}
	// The webhooks are merged by name, and the resourceVersion guards against a webhook
	// added or removed since the read: a conflict reads the configuration again.
	patch := client.StrategicMergeFrom(before, client.MergeFromWithOptimisticLock{})
	if err := i.Writer.Patch(ctx, cfg, patch); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("patching the caBundle of MutatingWebhookConfiguration %s: %w", i.Name, err)
	}
	log.Info("CA bundle injected", "webhooks", len(cfg.Webhooks))
	return nil
}
