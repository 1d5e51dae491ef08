package bundle

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	scapiv1alpha3 "github.com/operator-framework/api/pkg/apis/scorecard/v1alpha3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/singleton-operator/singleton-operator/cmd/scorecard-tests/checks"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
	"github.com/singleton-operator/singleton-operator/test/framework"
)

// The custom scorecard tests that need no kubelet, run against a real API server (the
// webhook one) or a real metrics server, each once where the promise holds and once where it
// does not, so that the check is seen to fail.

const checkImage = "localhost/singleton-operator:scorecard-check"

// state runs a check and returns its result's state, logging the result.
func state(ctx context.Context, t *testing.T, name string, env checks.Env) scapiv1alpha3.State {
	t.Helper()
	status := checks.Run(ctx, name, env)
	if len(status.Results) != 1 {
		t.Fatalf("%s: %d results", name, len(status.Results))
	}
	r := status.Results[0]
	t.Logf("%s: %s %v\n%s", name, r.State, r.Errors, r.Log)
	return r.State
}

func TestWebhookCheck(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	api, err := framework.StartAPIServerWithWebhooks("scorecard", []string{"config/webhook"}, "config/crd/bases")
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { g.Expect(api.Stop()).To(Succeed()) })

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "scorecard-"}}
	g.Expect(api.Client.Create(ctx, ns)).To(Succeed())
	env := checks.Env{Config: api.Config, Client: api.Client, Namespace: ns.Name, WorkloadImage: checkImage,
		Timeout: 5 * time.Second}

	// No webhook server yet: failurePolicy Ignore admits the selected pod unprepared.
	g.Expect(state(ctx, t, "webhook-gates-selected-pods", env)).To(Equal(scapiv1alpha3.FailState))

	startWebhookServer(ctx, t, api)
	env.Timeout = time.Minute
	g.Expect(state(ctx, t, "webhook-gates-selected-pods", env)).To(Equal(scapiv1alpha3.PassState))
}

// startWebhookServer serves the operator's pod webhook where the API server's webhook
// configuration (installed by envtest) calls it, until the test ends.
func startWebhookServer(ctx context.Context, t *testing.T, api *framework.APIServer) {
	t.Helper()
	g := NewWithT(t)
	wio := &api.Env.WebhookInstallOptions
	mgr, err := ctrl.NewManager(api.Config, ctrl.Options{
		Scheme:                 api.Env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		WebhookServer: webhook.NewServer(webhook.Options{
			Host: wio.LocalServingHost, Port: wio.LocalServingPort, CertDir: wio.LocalServingCertDir,
		}),
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(podwebhook.SetupPodWebhookWithManager(ctx, mgr, checkImage, nil, nil)).To(Succeed())
	runManager(ctx, t, mgr.Start)
}

// runManager runs start until the test ends, and fails the test if it returns an error first.
func runManager(ctx context.Context, t *testing.T, start func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	})
}

func TestMetricsCheck(t *testing.T) {
	ctx := t.Context()

	t.Run("a server that answers anyone fails the check", func(t *testing.T) {
		g := NewWithT(t)
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = fmt.Fprintln(w, "# HELP up")
		}))
		t.Cleanup(srv.Close)
		env := checks.Env{MetricsURL: srv.URL + "/metrics", MetricsCA: serverCA(srv), Timeout: 10 * time.Second}
		g.Expect(state(ctx, t, "metrics-require-auth", env)).To(Equal(scapiv1alpha3.FailState))
	})

	t.Run("a certificate the CA did not sign is an error", func(t *testing.T) {
		g := NewWithT(t)
		srv := httptest.NewTLSServer(http.NotFoundHandler())
		t.Cleanup(srv.Close)
		env := checks.Env{MetricsURL: srv.URL + "/metrics", MetricsCA: unrelatedCA(t), Timeout: 10 * time.Second}
		g.Expect(state(ctx, t, "metrics-require-auth", env)).To(Equal(scapiv1alpha3.ErrorState))
	})

	t.Run("the manager's metrics server with authentication passes", func(t *testing.T) {
		g := NewWithT(t)
		api, err := framework.StartAPIServer("metrics")
		g.Expect(err).NotTo(HaveOccurred())
		t.Cleanup(func() { g.Expect(api.Stop()).To(Succeed()) })

		addr := freeLoopbackAddr(t)
		httpClient, err := rest.HTTPClientFor(api.Config)
		g.Expect(err).NotTo(HaveOccurred())
		srv, err := metricsserver.NewServer(metricsserver.Options{
			BindAddress: addr, SecureServing: true, FilterProvider: filters.WithAuthenticationAndAuthorization,
		}, api.Config, httpClient)
		g.Expect(err).NotTo(HaveOccurred())
		runManager(ctx, t, srv.Start)

		env := checks.Env{MetricsURL: "https://" + addr + "/metrics", Timeout: 10 * time.Second}
		g.Eventually(func() scapiv1alpha3.State {
			return state(ctx, t, "metrics-require-auth", env)
		}).WithTimeout(30 * time.Second).Should(Equal(scapiv1alpha3.PassState))
	})
}

// serverCA is the PEM certificate of an httptest TLS server, its own CA.
func serverCA(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

// unrelatedCA is a new self-signed CA certificate, which signed nothing the test serves.
func unrelatedCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "unrelated CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// freeLoopbackAddr returns a loopback address with a port free right now.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
