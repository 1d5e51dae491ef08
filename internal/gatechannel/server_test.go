package gatechannel

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	. "github.com/onsi/gomega"

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
