package gatechannel

import (
	"context"
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/singleton-operator/singleton-operator/internal/gatewire"
)

// reviewer answers TokenReviews with status, or fails with err, and counts the reviews.
type reviewer struct {
	status authenticationv1.TokenReviewStatus
	err    error
	calls  int
}

func (r *reviewer) Create(_ context.Context, review *authenticationv1.TokenReview, _ metav1.CreateOptions,
) (*authenticationv1.TokenReview, error) {
	r.calls++
	if r.err != nil {
		return nil, r.err
	}
	if len(review.Spec.Audiences) != 1 || review.Spec.Audiences[0] != gatewire.Audience {
		return nil, errors.New("the review must ask for the gate's audience")
	}
	out := review.DeepCopy()
	out.Status = r.status
	return out, nil
}

func podUser(uid, name string) authenticationv1.UserInfo {
	return authenticationv1.UserInfo{
		Username: "system:serviceaccount:shop:app",
		Extra: map[string]authenticationv1.ExtraValue{
			extraPodUID: {uid}, extraPodName: {name},
		},
	}
}

func TestIdentityOf(t *testing.T) {
	ok := authenticationv1.TokenReviewStatus{
		Authenticated: true, Audiences: []string{gatewire.Audience}, User: podUser("uid-1", "db-0"),
	}
	tests := []struct {
		name   string
		status func(*authenticationv1.TokenReviewStatus)
		want   Identity
	}{
		{"a pod-bound token of the gate's audience", func(*authenticationv1.TokenReviewStatus) {},
			Identity{Namespace: "shop", PodName: "db-0", PodUID: "uid-1"}},
		{"not authenticated", func(s *authenticationv1.TokenReviewStatus) { s.Authenticated = false }, Identity{}},
		{"another audience", func(s *authenticationv1.TokenReviewStatus) { s.Audiences = []string{"api"} }, Identity{}},
		{"bound to no pod", func(s *authenticationv1.TokenReviewStatus) { s.User.Extra = nil }, Identity{}},
		{"not a service account", func(s *authenticationv1.TokenReviewStatus) { s.User.Username = "alice" }, Identity{}},
		{"two pod UIDs", func(s *authenticationv1.TokenReviewStatus) {
			s.User.Extra[extraPodUID] = authenticationv1.ExtraValue{"a", "b"}
		}, Identity{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			status := *ok.DeepCopy()
			tt.status(&status)
			id, err := identityOf(status)
			g.Expect(id).To(Equal(tt.want))
			g.Expect(err != nil).To(Equal(tt.want == Identity{}))
		})
	}
}

func TestAuthenticatorCaches(t *testing.T) {
	g := NewWithT(t)
	now := t0
	r := &reviewer{status: authenticationv1.TokenReviewStatus{Authenticated: true, User: podUser("uid-1", "db-0")}}
	a := &Authenticator{Reviews: r, TTL: 10 * time.Second, Now: func() time.Time { return now }}
	for range 3 {
		id, err := a.Authenticate(context.Background(), "token-a")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(id.PodUID).To(BeEquivalentTo("uid-1"))
	}
	g.Expect(r.calls).To(Equal(1), "reviewed once while cached")
	now = now.Add(11 * time.Second)
	_, _ = a.Authenticate(context.Background(), "token-a")
	g.Expect(r.calls).To(Equal(2), "reviewed again once expired")

	r.status.Authenticated = false
	for range 2 {
		_, err := a.Authenticate(context.Background(), "bad")
		g.Expect(err).To(MatchError(errUnauthenticated))
	}
	g.Expect(r.calls).To(Equal(3), "a refusal is cached too")

	r.err = errors.New("apiserver down")
	_, err := a.Authenticate(context.Background(), "token-c")
	var transient *reviewError
	g.Expect(errors.As(err, &transient)).To(BeTrue())
	_, _ = a.Authenticate(context.Background(), "token-c")
	g.Expect(r.calls).To(Equal(5), "a failed review is not cached")

	_, err = a.Authenticate(context.Background(), "")
	g.Expect(err).To(MatchError(errUnauthenticated))
	g.Expect(r.calls).To(Equal(5), "no review of an empty token")
}

// A token whose session is open keeps its review while the session lasts: the gate's exit report,
// long after the session opened, costs no TokenReview on the way to the release. Once the
// session ends, the TTL counts again; a refusal is never held.
func TestAuthenticatorHoldsASessionsReview(t *testing.T) {
	g := NewWithT(t)
	now := t0
	r := &reviewer{status: authenticationv1.TokenReviewStatus{Authenticated: true, User: podUser("uid-1", "db-0")}}
	a := &Authenticator{Reviews: r, TTL: 10 * time.Second, Now: func() time.Time { return now }}
	_, err := a.Authenticate(context.Background(), "token-a")
	g.Expect(err).NotTo(HaveOccurred())
	release := a.Hold("token-a")
	second := a.Hold("token-a")
	now = now.Add(time.Hour)
	id, err := a.Authenticate(context.Background(), "token-a")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(id.PodUID).To(BeEquivalentTo("uid-1"))
	g.Expect(r.calls).To(Equal(1), "held by its open sessions")

	release()
	release() // a release is counted once
	_, _ = a.Authenticate(context.Background(), "token-a")
	g.Expect(r.calls).To(Equal(1), "still held by the second session")
	second()
	_, _ = a.Authenticate(context.Background(), "token-a")
	g.Expect(r.calls).To(Equal(2), "reviewed again once no session holds it and its TTL passed")

	r.status.Authenticated = false
	_, err = a.Authenticate(context.Background(), "bad")
	g.Expect(err).To(MatchError(errUnauthenticated))
	defer a.Hold("bad")()
	now = now.Add(time.Hour)
	_, _ = a.Authenticate(context.Background(), "bad")
	g.Expect(r.calls).To(Equal(4), "a refusal is not held")
}
