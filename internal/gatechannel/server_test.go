package gatechannel

import (
	"net/http"
	"net/http/httptest"
	"strings"
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
