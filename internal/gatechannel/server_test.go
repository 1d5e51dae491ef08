package gatechannel

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/singleton-operator/singleton-operator/internal/gatewire"
)

// A replica that does not lead answers 503 and closes the connection, so that the gate's next
// attempt is spread over the replicas by the Service instead of reaching this one again.
func TestNotLeaderClosesTheConnection(t *testing.T) {
	s := &Server{Ledger: NewLedger(), Elected: make(chan struct{})}
	for _, path := range []string{gatewire.SessionPath, gatewire.ExitedPath, gatewire.StartedPath} {
		t.Run(path, func(t *testing.T) {
			g := NewWithT(t)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case gatewire.SessionPath:
					s.handleSession(w, r)
				case gatewire.ExitedPath:
					s.handleExited(w, r)
				default:
					s.handleStarted(w, r)
				}
			}))
			defer srv.Close()
			resp, err := http.Post(srv.URL+path, gatewire.ContentType, strings.NewReader(`{}`))
			g.Expect(err).NotTo(HaveOccurred())
			defer func() { _ = resp.Body.Close() }()
			g.Expect(resp.StatusCode).To(Equal(http.StatusServiceUnavailable))
			g.Expect(resp.Close).To(BeTrue(), "the connection is not kept")
		})
	}
}

// Over HTTP/2 too: the 503 ends the connection (GOAWAY), and the gate's next attempt dials anew
// instead of riding the same connection back to this replica.
func TestNotLeaderEndsTheHTTP2Connection(t *testing.T) {
	g := NewWithT(t)
	s := &Server{Ledger: NewLedger(), Elected: make(chan struct{})}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(s.handleExited))
	srv.EnableHTTP2 = true
	var conns atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	c := srv.Client()
	for i := 1; i <= 2; i++ {
		resp, err := c.Post(srv.URL+gatewire.ExitedPath, gatewire.ContentType, strings.NewReader(`{}`))
		g.Expect(err).NotTo(HaveOccurred())
		_ = resp.Body.Close()
		g.Expect(resp.ProtoMajor).To(Equal(2))
		g.Expect(resp.StatusCode).To(Equal(http.StatusServiceUnavailable))
		g.Eventually(conns.Load).Should(Equal(int32(i)), "attempt %d had a connection of its own", i)
	}
}

// blockingReviewer answers no TokenReview until the request's context ends.
type blockingReviewer struct{ entered chan struct{} }

func (b blockingReviewer) Create(ctx context.Context, _ *authenticationv1.TokenReview, _ metav1.CreateOptions,
) (*authenticationv1.TokenReview, error) {
	close(b.entered)
	<-ctx.Done()
	return nil, ctx.Err()
}

// A gate that goes away while its token is reviewed (its container ended) is no error of the
// operator's: nothing is logged at the error level, which an on-call person would chase.
func TestGateLeavingDuringReviewIsNoError(t *testing.T) {
	g := NewWithT(t)
	var mu sync.Mutex
	var lines []string
	log := funcr.New(func(_, args string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, args)
	}, funcr.Options{Verbosity: 1})
	elected := make(chan struct{})
	close(elected)
	reviewer := blockingReviewer{entered: make(chan struct{})}
	s := &Server{Ledger: NewLedger(), Elected: elected, Log: log, Auth: &Authenticator{Reviews: reviewer}}
	// HTTP/2, as the gates speak it: a stream reset ends the request's context at once.
	srv := httptest.NewUnstartedServer(http.HandlerFunc(s.handleSession))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-reviewer.entered
		cancel()
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+gatewire.SessionPath, strings.NewReader(`{}`))
	g.Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Authorization", "Bearer a-token")
	_, err = srv.Client().Do(req)
	g.Expect(err).To(MatchError(context.Canceled))
	g.Eventually(func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(lines)
	}).Should(ContainElement(ContainSubstring("A gate left while its token was reviewed")))
	mu.Lock()
	defer mu.Unlock()
	g.Expect(lines).NotTo(ContainElement(ContainSubstring(`"error"=`)), "nothing at the error level")
}

// A pod whose object is gone is forgotten at once: its release (pushed to sessions it would
// open later, which it cannot any more) and what the ledger held of its gates.
func TestGoneForgetsThePod(t *testing.T) {
	g := NewWithT(t)
	s := &Server{Ledger: NewLedger(), Elected: make(chan struct{})}
	const pod, other = types.UID("gone"), types.UID("kept")
	for _, uid := range []types.UID{pod, other} {
		s.Released(uid)
		s.Ledger.Opened(uid, "app", 1)
		s.Ledger.Exited(uid, "app", 1, 0, time.Now())
	}
	s.Gone(pod)
	g.Expect(s.released).To(Equal(map[types.UID]bool{other: true}))
	g.Expect(s.Ledger.Snapshot(pod, other).Pods).To(HaveLen(1))
	g.Expect(s.Ledger.Snapshot(pod, other).Pods).To(HaveKey(other))
}
