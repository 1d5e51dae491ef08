package gatechannel

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/singleton-operator/singleton-operator/internal/gatewire"
)

// The user.extra keys of a TokenReview of a pod-bound service account token.
const (
	extraPodUID  = "authentication.kubernetes.io/pod-uid"
	extraPodName = "authentication.kubernetes.io/pod-name"
	saPrefix     = "system:serviceaccount:"
)

// DefaultReviewTTL is how long a TokenReview's answer is kept: short, so that a token revoked
// with its pod stops working soon, and long enough for a gate's session and reports.
const DefaultReviewTTL = 10 * time.Second

// errUnauthenticated is returned for a token the API server does not accept for Audience, or
// that is not bound to a pod.
var errUnauthenticated = errors.New("the token is not a pod-bound token of the gate's audience")

// Identity is the pod a token is bound to, as the API server's TokenReview says.
type Identity struct {
	Namespace, PodName string
	PodUID             types.UID
}

// TokenReviewer creates TokenReviews; the clientset's AuthenticationV1().TokenReviews() is one.
type TokenReviewer interface {
	Create(ctx context.Context, review *authenticationv1.TokenReview, opts metav1.CreateOptions,
	) (*authenticationv1.TokenReview, error)
}

// Authenticator verifies a gate's bearer token with a TokenReview for Audience and caches the
// answer, good or bad, for TTL by the token's SHA-256 (never the token itself): a gate's
// session, reports and start requests cost one review, and a flood of one bad token too. A
// token accepted for a session that is still open (Hold) stays accepted while it is: the exit
// report that ends a hand-over, however long after the session opened, waits for no review.
type Authenticator struct {
	Reviews TokenReviewer
	TTL     time.Duration
	Now     func() time.Time

	mu    sync.Mutex
	cache map[[sha256.Size]byte]cachedReview
	holds map[[sha256.Size]byte]int
}

// Hold keeps the token's accepted review while the returned release has not been called: a
// session holds its token while its stream is open. A token revoked meanwhile with its pod is
// still refused, by the server's check that the pod is in the cache with the token's pod UID.
func (a *Authenticator) Hold(token string) (release func()) {
	key := sha256.Sum256([]byte(token))
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.holds == nil {
		a.holds = map[[sha256.Size]byte]int{}
	}
	a.holds[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			a.mu.Lock()
			defer a.mu.Unlock()
			a.holds[key]--
			if a.holds[key] <= 0 {
				delete(a.holds, key)
			}
		})
	}
}

// fresh reports whether a cached answer may be used at now; a.mu is held.
func (a *Authenticator) fresh(key [sha256.Size]byte, c cachedReview, now time.Time) bool {
	return now.Before(c.expires) || (c.err == nil && a.holds[key] > 0)
}

type cachedReview struct {
	id      Identity
	err     error
	expires time.Time
}

// maxCachedReviews bounds the cache; past it, expired entries are dropped, and all of them if
// that is not enough.
const maxCachedReviews = 4096

// Authenticate returns the pod the token is bound to.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (Identity, error) {
	if token == "" {
		return Identity{}, errUnauthenticated
	}
	key := sha256.Sum256([]byte(token))
	now := a.now()
	a.mu.Lock()
	if c, ok := a.cache[key]; ok && a.fresh(key, c, now) {
		a.mu.Unlock()
		return c.id, c.err
	}
	a.mu.Unlock()

	id, err := a.review(ctx, token)
	var transient *reviewError
	if errors.As(err, &transient) {
		return Identity{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cache == nil || len(a.cache) >= maxCachedReviews {
		a.prune(now)
	}
	a.cache[key] = cachedReview{id: id, err: err, expires: now.Add(a.TTL)}
	return id, err
}

// prune drops the expired entries, and every entry when that leaves the cache full; a.mu is held.
func (a *Authenticator) prune(now time.Time) {
	if a.cache == nil {
		a.cache = map[[sha256.Size]byte]cachedReview{}
		return
	}
	for k, c := range a.cache {
		if !a.fresh(k, c, now) {
			delete(a.cache, k)
		}
	}
	if len(a.cache) >= maxCachedReviews {
		clear(a.cache)
	}
}

func (a *Authenticator) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// reviewError is a TokenReview that could not be made; it is not cached.
type reviewError struct{ err error }

func (e *reviewError) Error() string { return "reviewing the token: " + e.err.Error() }
func (e *reviewError) Unwrap() error { return e.err }

func (a *Authenticator) review(ctx context.Context, token string) (Identity, error) {
	review, err := a.Reviews.Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{
		Token: token, Audiences: []string{gatewire.Audience},
	}}, metav1.CreateOptions{})
	if err != nil {
		return Identity{}, &reviewError{err: err}
	}
	return identityOf(review.Status)
}

// identityOf reads the pod from an answered TokenReview: authenticated, for Audience, a
// service account's token bound to a pod (its UID and name in user.extra).
func identityOf(status authenticationv1.TokenReviewStatus) (Identity, error) {
	if !status.Authenticated || (len(status.Audiences) > 0 && !contains(status.Audiences, gatewire.Audience)) {
		return Identity{}, errUnauthenticated
	}
	rest, ok := strings.CutPrefix(status.User.Username, saPrefix)
	namespace, _, found := strings.Cut(rest, ":")
	uid, name := status.User.Extra[extraPodUID], status.User.Extra[extraPodName]
	if !ok || !found || namespace == "" || len(uid) != 1 || len(name) != 1 || uid[0] == "" || name[0] == "" {
		return Identity{}, fmt.Errorf("%w: user %q", errUnauthenticated, status.User.Username)
	}
	return Identity{Namespace: namespace, PodName: name[0], PodUID: types.UID(uid[0])}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
