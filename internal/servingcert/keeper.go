package servingcert

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const (
	// DefaultCheckInterval is how often a Keeper re-reads its Secret by default.
	DefaultCheckInterval = 5 * time.Minute
	// maxEnsureAttempts bounds the read-decide-write rounds of one Ensure that another
	// replica's write interrupts.
	maxEnsureAttempts = 5
)

// errLostRace says that another writer changed the Secret between our read and our write.
var errLostRace = errors.New("the Secret changed since it was read")

// Keeper keeps a CA and a serving certificate in a Secret, shared by every replica, and the
// certificate in a Holder. It is a manager Runnable that runs on every replica: call Ensure
// once before the manager starts, so that the servers start with a certificate, and Start
// re-checks the Secret every Interval.
type Keeper struct {
	// Reader reads the Secret without a cache (manager.GetAPIReader).
	Reader client.Reader
	// Writer creates and updates the Secret.
	Writer client.Writer
	// Secret names the Secret.
	Secret types.NamespacedName
	// DNSNames are the names the serving certificate is for.
	DNSNames []string
	// Holder receives the serving certificate.
	Holder *Holder
	// Interval between two checks; DefaultCheckInterval when zero.
	Interval time.Duration
	// Clock tells the time and ticks; the real clock when nil.
	Clock clock.WithTicker
	// Log receives what the Keeper does.
	Log logr.Logger
}

// NeedLeaderElection is false: every replica serves, so every replica keeps its certificate.
func (k *Keeper) NeedLeaderElection() bool { return false }

// Start re-checks the Secret every Interval until ctx ends. A failed check is logged and
// tried again at the next one: the served certificate stays valid for months.
func (k *Keeper) Start(ctx context.Context) error {
	ticker := k.clock().NewTicker(k.interval())
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C():
			if err := k.Ensure(ctx); err != nil {
				k.Log.Error(err, "Unable to check the serving certificate", "secret", klog.KRef(k.Secret.Namespace, k.Secret.Name))
			}
		}
	}
}

// Ensure reads the Secret, creates or renews it when it must, and loads its certificate into
// the Holder. When another replica wrote the Secret first, Ensure reads it again and uses
// what that replica wrote.
func (k *Keeper) Ensure(ctx context.Context) error {
	for range maxEnsureAttempts {
		bundle, err := k.ensureOnce(ctx)
		if errors.Is(err, errLostRace) {
			continue
		}
		if err != nil {
			return err
		}
		return k.Holder.Set(bundle)
	}
	return fmt.Errorf("updating Secret %s: it changed under each of %d attempts", k.Secret, maxEnsureAttempts)
}

// ensureOnce is one read-decide-write round; it returns errLostRace when another writer won.
func (k *Keeper) ensureOnce(ctx context.Context) (*Bundle, error) {
	secret, err := k.read(ctx)
	if err != nil {
		return nil, err
	}
	now := k.clock().Now()
	decision := Decide(secret, k.DNSNames, now)
	bundle, err := NewBundle(decision.Action, secret, k.DNSNames, now)
	if err != nil {
		return nil, fmt.Errorf("serving certificate of Secret %s: %w", k.Secret, err)
	}
	if decision.Action == ActionKeep {
		return bundle, nil
	}
	if err := k.write(ctx, secret, bundle); err != nil {
		return nil, err
	}
	k.Log.Info("Serving certificate written", "secret", klog.KRef(k.Secret.Namespace, k.Secret.Name),
		"action", decision.Action, "reason", decision.Reason, "notAfter", bundle.Leaf.Cert.NotAfter)
	return bundle, nil
}

// read returns the Secret, or nil when it does not exist.
func (k *Keeper) read(ctx context.Context) (*corev1.Secret, error) {
	secret := &corev1.Secret{}
	err := k.Reader.Get(ctx, k.Secret, secret)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading Secret %s: %w", k.Secret, err)
	}
	return secret, nil
}

// write creates the Secret (current is nil) or updates current, at its resourceVersion.
func (k *Keeper) write(ctx context.Context, current *corev1.Secret, b *Bundle) error {
	if current == nil {
		err := k.Writer.Create(ctx, NewSecret(k.Secret, b))
		if apierrors.IsAlreadyExists(err) {
			return errLostRace
		}
		if err != nil {
			return fmt.Errorf("creating Secret %s: %w", k.Secret, err)
		}
		return nil
	}
	updated := current.DeepCopy()
	updated.Data = b.data(current.Data)
	err := k.Writer.Update(ctx, updated)
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return errLostRace
	}
	if err != nil {
		return fmt.Errorf("updating Secret %s: %w", k.Secret, err)
	}
	return nil
}

func (k *Keeper) clock() clock.WithTicker {
	if k.Clock == nil {
		return clock.RealClock{}
	}
	return k.Clock
}

func (k *Keeper) interval() time.Duration {
	if k.Interval <= 0 {
		return DefaultCheckInterval
	}
	return k.Interval
}
