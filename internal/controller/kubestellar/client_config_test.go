package kubestellar

import (
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// What a WDS or ITS sees of the operator's clients: no request accepts a compressed answer
// (an API server gzips a streaming list's watch event by event when it may) unless compression
// is asked for, and the client side limits no rate unless asked to.
func TestTunedClientsAskForNoCompression(t *testing.T) {
	for _, tc := range []struct {
		tlsServer, compress bool
		want                string
	}{
		{tlsServer: true, want: "identity"},
		{tlsServer: false, want: "identity"},
		{tlsServer: true, compress: true, want: "gzip"}, // Go's transport asks, and decodes
	} {
		t.Run(fmt.Sprintf("tls=%v,compress=%v", tc.tlsServer, tc.compress), func(t *testing.T) {
			g := NewWithT(t)
			encodings := make(chan string, 4)
			handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				encodings <- r.Header.Get("Accept-Encoding")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusOK) // an empty watch: it ends at once
			})
			cfg := &rest.Config{}
			if tc.tlsServer { // a transport client-go builds
				srv := httptest.NewTLSServer(handler)
				defer srv.Close()
				cfg.Host = srv.URL
				cfg.CAData = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
			} else { // client-go's shared default transport
				srv := httptest.NewServer(handler)
				defer srv.Close()
				cfg.Host = srv.URL
			}
			tuneClientConfig(cfg, 0, tc.compress)
			httpClient, err := rest.HTTPClientFor(cfg)
			g.Expect(err).NotTo(HaveOccurred())
			wc, err := newWatchClient(cfg, httpClient)
			g.Expect(err).NotTo(HaveOccurred())
			w, err := wc.watch(context.Background(), workStatusGVK.GroupVersion().WithResource("workstatuses"),
				metav1.ListOptions{SendInitialEvents: new(true)}, decodeWDSEvent)
			g.Expect(err).NotTo(HaveOccurred())
			w.Stop()
			g.Expect(<-encodings).To(Equal(tc.want), "what the watch accepts")

			resp, err := httpClient.Get(cfg.Host + "/api")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(resp.Body.Close()).To(Succeed())
			g.Expect(<-encodings).To(Equal(tc.want), "what the cluster's HTTP client accepts")
		})
	}
}

func TestTunedClientsRate(t *testing.T) {
	g := NewWithT(t)
	unlimited := &rest.Config{QPS: 5, Burst: 10}
	tuneClientConfig(unlimited, 0, false)
	g.Expect(unlimited.QPS).To(BeNumerically("<", 0), "client-go's default limit of 5/s left in place")
	g.Expect(unlimited.RateLimiter).To(BeNil())

	limited := &rest.Config{}
	tuneClientConfig(limited, 50, false)
	g.Expect(limited.Burst).To(Equal(100))
	g.Expect(limited.RateLimiter).NotTo(BeNil())
	g.Expect(limited.RateLimiter.QPS()).To(BeNumerically("==", 50))
}
