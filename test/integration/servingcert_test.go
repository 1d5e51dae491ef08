package integration

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/singleton-operator/singleton-operator/internal/servingcert"
)

const (
	certSecret  = "serving-cert"
	certService = "operator-service"
)

var _ = Describe("Serving certificates", func() {
	var (
		ns     string
		key    types.NamespacedName
		names  []string
		keeper func() *servingcert.Keeper
	)
	BeforeEach(func(ctx SpecContext) {
		ns = newNamespace(ctx)
		key = types.NamespacedName{Namespace: ns, Name: certSecret}
		names = servingcert.ServiceDNSNames(certService, ns)
		// keeper is one replica's keeper, with its own Holder.
		keeper = func() *servingcert.Keeper {
			return &servingcert.Keeper{
				Reader: k8s, Writer: k8s, Secret: key, DNSNames: names,
				Holder: servingcert.NewHolder(), Log: GinkgoLogr,
			}
		}
	})

	It("serves the same CA on replicas that race to create the Secret", func(ctx SpecContext) {
		replicas := []*servingcert.Keeper{keeper(), keeper(), keeper()}
		start := make(chan struct{})
		errs := make(chan error, len(replicas))
		var wg sync.WaitGroup
		for _, r := range replicas {
			wg.Go(func() {
				<-start
				errs <- r.Ensure(ctx)
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			Expect(err).NotTo(HaveOccurred())
		}

		secret := readSecret(ctx, key)
		Expect(secret.Type).To(Equal(corev1.SecretTypeTLS))
		Expect(secret.Data).To(HaveKey("ca.key"))
		for _, r := range replicas {
			Expect(r.Holder.CA()).To(Equal(secret.Data["ca.crt"]))
			expectServes(r.Holder, secret.Data["ca.crt"], names)
		}
	})

	It("renews a serving certificate near its end, or for other names, from the same CA", func(ctx SpecContext) {
		aged := bundleIssuedAt(time.Now().Add(-300*24*time.Hour), names)
		Expect(k8s.Create(ctx, servingcert.NewSecret(key, aged))).To(Succeed())

		By("renewing the serving certificate that has less than a third of its life left")
		r := keeper()
		Expect(r.Ensure(ctx)).To(Succeed())
		secret := readSecret(ctx, key)
		Expect(secret.Data["ca.crt"]).To(Equal(aged.CA.CertPEM))
		Expect(secret.Data["ca.key"]).To(Equal(aged.CA.KeyPEM))
		Expect(secret.Data["tls.crt"]).NotTo(Equal(aged.Leaf.CertPEM))
		expectServes(r.Holder, aged.CA.CertPEM, names)
		served, err := r.Holder.GetCertificate(nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(served.Leaf.NotAfter).To(BeTemporally(">", time.Now().Add(360*24*time.Hour)))

		By("keeping a current one as it is")
		version := secret.ResourceVersion
		Expect(keeper().Ensure(ctx)).To(Succeed())
		Expect(readSecret(ctx, key).ResourceVersion).To(Equal(version))

		By("renewing it for the names of another Service")
		other := keeper()
		other.DNSNames = servingcert.ServiceDNSNames("renamed-service", ns)
		Expect(other.Ensure(ctx)).To(Succeed())
		Expect(readSecret(ctx, key).Data["ca.crt"]).To(Equal(aged.CA.CertPEM))
		expectServes(other.Holder, aged.CA.CertPEM, other.DNSNames)
	})

	It("swaps the served certificate when another replica renews it", func(ctx SpecContext) {
		r := keeper()
		r.Interval = 200 * time.Millisecond
		Expect(r.Ensure(ctx)).To(Succeed())
		runInBackground(ctx, r.Start)

		renewed := bundleIssuedAt(time.Now(), names)
		secret := readSecret(ctx, key)
		secret.Data = servingcert.NewSecret(key, renewed).Data
		Expect(k8s.Update(ctx, secret)).To(Succeed())

		Eventually(func(g Gomega) {
			cert, err := r.Holder.GetCertificate(nil)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(cert.Leaf.Equal(renewed.Leaf.Cert)).To(BeTrue())
		}).WithContext(ctx).Should(Succeed())
		Expect(r.Holder.CA()).To(Equal(renewed.CA.CertPEM))
	})

	Describe("the CA bundle", func() {
		var cfgName string
		BeforeEach(func() { cfgName = "servingcert-" + ns })

		It("is written once the configuration exists, and repaired after someone clears it", func(ctx SpecContext) {
			r := keeper()
			Expect(r.Ensure(ctx)).To(Succeed())
			injector := &servingcert.CABundleInjector{
				Reader: k8s, Writer: k8s, Name: cfgName, Holder: r.Holder,
				Interval: 300 * time.Millisecond, Log: GinkgoLogr,
			}
			By("not failing while the configuration does not exist")
			Expect(injector.Inject(ctx)).To(Succeed())
			runInBackground(ctx, injector.Start)

			cfg := newWebhookConfiguration(ctx, cfgName, ns)
			By("writing the CA into every webhook")
			Eventually(caBundles).WithContext(ctx).WithArguments(cfgName).
				Should(HaveExactElements(r.Holder.CA(), r.Holder.CA()))

			By("repairing a cleared caBundle")
			Expect(k8s.Get(ctx, client.ObjectKeyFromObject(cfg), cfg)).To(Succeed())
			cfg.Webhooks[1].ClientConfig.CABundle = nil
			Expect(k8s.Update(ctx, cfg)).To(Succeed())
			Eventually(caBundles).WithContext(ctx).WithArguments(cfgName).
				Should(HaveExactElements(r.Holder.CA(), r.Holder.CA()))
		})

		It("follows a new CA without waiting for the repair interval", func(ctx SpecContext) {
			newWebhookConfiguration(ctx, cfgName, ns)
			r := keeper()
			r.Interval = 200 * time.Millisecond
			Expect(r.Ensure(ctx)).To(Succeed())
			runInBackground(ctx, r.Start)
			injector := &servingcert.CABundleInjector{
				Reader: k8s, Writer: k8s, Name: cfgName, Holder: r.Holder, Interval: time.Hour, Log: GinkgoLogr,
			}
			runInBackground(ctx, injector.Start)
			Eventually(caBundles).WithContext(ctx).WithArguments(cfgName).
				Should(HaveExactElements(r.Holder.CA(), r.Holder.CA()))

			By("replacing the CA in the Secret")
			replaced := bundleIssuedAt(time.Now(), names)
			secret := readSecret(ctx, key)
			secret.Data = servingcert.NewSecret(key, replaced).Data
			Expect(k8s.Update(ctx, secret)).To(Succeed())
			Eventually(caBundles).WithContext(ctx).WithArguments(cfgName).
				Should(HaveExactElements(replaced.CA.CertPEM, replaced.CA.CertPEM))
		})
	})

	Describe("in a manager", func() {
		It("serves the metrics and webhook servers with certificates from their Secrets", func(ctx SpecContext) {
			cfgName := "servingcert-" + ns
			newWebhookConfiguration(ctx, cfgName, ns)
			certs := servingcert.New(servingcert.Options{
				Namespace:                ns,
				Webhook:                  servingcert.ServerOptions{CertDir: GinkgoT().TempDir(), SecretName: "webhook-cert", ServiceName: "webhook-service"},
				Metrics:                  servingcert.ServerOptions{CertDir: GinkgoT().TempDir(), SecretName: "metrics-cert", ServiceName: "metrics-service"},
				WebhookConfigurationName: cfgName,
			})
			metricsAddr, webhookPort := freeAddress(), freePort()
			mgr, err := ctrl.NewManager(cluster.Config, ctrl.Options{
				Scheme:                 cluster.Env.Scheme,
				HealthProbeBindAddress: "0",
				Metrics: metricsserver.Options{
					BindAddress: metricsAddr, SecureServing: true, TLSOpts: certs.MetricsTLSOpts(),
				},
				WebhookServer: webhook.NewServer(webhook.Options{
					Host: "127.0.0.1", Port: webhookPort, TLSOpts: certs.WebhookTLSOpts(),
				}),
			})
			Expect(err).NotTo(HaveOccurred())
			Expect(certs.Setup(ctx, mgr)).To(Succeed())
			// Nothing registers a webhook here; asking for the server makes the manager run it.
			mgr.GetWebhookServer()
			runInBackground(ctx, mgr.Start)

			webhookCA := readSecret(ctx, types.NamespacedName{Namespace: ns, Name: "webhook-cert"}).Data["ca.crt"]
			metricsCA := readSecret(ctx, types.NamespacedName{Namespace: ns, Name: "metrics-cert"}).Data["ca.crt"]
			Expect(webhookCA).NotTo(Equal(metricsCA), "each server has its own CA")
			Eventually(handshake).WithContext(ctx).
				WithArguments(metricsAddr, metricsCA, "metrics-service."+ns+".svc").Should(Succeed())
			Eventually(handshake).WithContext(ctx).
				WithArguments(net.JoinHostPort("127.0.0.1", strconv.Itoa(webhookPort)), webhookCA, "webhook-service."+ns+".svc").
				Should(Succeed())
			Eventually(caBundles).WithContext(ctx).WithArguments(cfgName).Should(HaveExactElements(webhookCA, webhookCA))
		})

		It("leaves mounted certificates, their Secret and the CA bundle alone", func(ctx SpecContext) {
			cfgName := "servingcert-" + ns
			newWebhookConfiguration(ctx, cfgName, ns)
			mounted := bundleIssuedAt(time.Now(), servingcert.ServiceDNSNames("webhook-service", ns))
			dir := GinkgoT().TempDir()
			Expect(os.WriteFile(filepath.Join(dir, "tls.crt"), mounted.Leaf.CertPEM, 0o600)).To(Succeed())
			Expect(os.WriteFile(filepath.Join(dir, "tls.key"), mounted.Leaf.KeyPEM, 0o600)).To(Succeed())
			certs := servingcert.New(servingcert.Options{
				Namespace:                ns,
				Webhook:                  servingcert.ServerOptions{CertDir: dir, SecretName: "webhook-cert", ServiceName: "webhook-service"},
				Metrics:                  servingcert.ServerOptions{Disabled: true, SecretName: "metrics-cert", ServiceName: "metrics-service"},
				WebhookConfigurationName: cfgName,
			})
			Expect(certs.WebhookTLSOpts()).To(BeEmpty(), "controller-runtime serves the files")
			mgr, err := ctrl.NewManager(cluster.Config, ctrl.Options{
				Scheme: cluster.Env.Scheme, HealthProbeBindAddress: "0", Metrics: metricsserver.Options{BindAddress: "0"},
			})
			Expect(err).NotTo(HaveOccurred())
			Expect(certs.Setup(ctx, mgr)).To(Succeed())
			runInBackground(ctx, mgr.Start)

			Consistently(func(g Gomega) {
				err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "webhook-cert"}, &corev1.Secret{})
				g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "no webhook Secret")
				err = k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: "metrics-cert"}, &corev1.Secret{})
				g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "no metrics Secret")
				g.Expect(caBundles(ctx, cfgName)).To(HaveExactElements(BeEmpty(), BeEmpty()))
			}).WithContext(ctx).WithTimeout(2 * time.Second).Should(Succeed())
		})
	})
})

// readSecret reads a Secret that must exist.
func readSecret(ctx context.Context, key types.NamespacedName) *corev1.Secret {
	GinkgoHelper()
	secret := &corev1.Secret{}
	Expect(k8s.Get(ctx, key, secret)).To(Succeed())
	return secret
}

// bundleIssuedAt is a CA and a serving certificate for names, both issued at t.
func bundleIssuedAt(t time.Time, names []string) *servingcert.Bundle {
	GinkgoHelper()
	ca, err := servingcert.NewCA("test-ca", t)
	Expect(err).NotTo(HaveOccurred())
	leaf, err := servingcert.NewLeaf(ca, names, t)
	Expect(err).NotTo(HaveOccurred())
	return &servingcert.Bundle{CA: ca, Leaf: leaf}
}

// expectServes checks that the Holder serves a certificate that a client trusting caPEM
// accepts for each of names.
func expectServes(h *servingcert.Holder, caPEM []byte, names []string) {
	GinkgoHelper()
	cert, err := h.GetCertificate(nil)
	Expect(err).NotTo(HaveOccurred())
	roots := x509.NewCertPool()
	Expect(roots.AppendCertsFromPEM(caPEM)).To(BeTrue())
	for _, name := range names {
		_, err := cert.Leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: name})
		Expect(err).NotTo(HaveOccurred(), "verifies for %s", name)
	}
}

// newWebhookConfiguration creates a MutatingWebhookConfiguration with two webhooks and no
// caBundle; their empty rules match no request, so the API server never calls them.
func newWebhookConfiguration(ctx context.Context, name, namespace string) *admissionregistrationv1.MutatingWebhookConfiguration {
	GinkgoHelper()
	hook := func(hookName string) admissionregistrationv1.MutatingWebhook {
		return admissionregistrationv1.MutatingWebhook{
			Name: hookName,
			ClientConfig: admissionregistrationv1.WebhookClientConfig{
				Service: &admissionregistrationv1.ServiceReference{
					Namespace: namespace, Name: "webhook-service", Path: ptr.To("/" + hookName),
				},
			},
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
		}
	}
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Webhooks:   []admissionregistrationv1.MutatingWebhook{hook("a.example.com"), hook("b.example.com")},
	}
	Expect(k8s.Create(ctx, cfg)).To(Succeed())
	DeferCleanup(func(ctx SpecContext) { Expect(k8s.Delete(ctx, cfg)).To(Succeed()) })
	return cfg
}

// caBundles are the caBundles of the webhooks of a MutatingWebhookConfiguration, in order.
func caBundles(ctx context.Context, name string) ([][]byte, error) {
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := k8s.Get(ctx, client.ObjectKey{Name: name}, cfg); err != nil {
		return nil, err
	}
	bundles := make([][]byte, 0, len(cfg.Webhooks))
	for i := range cfg.Webhooks {
		bundles = append(bundles, cfg.Webhooks[i].ClientConfig.CABundle)
	}
	return bundles, nil
}

// handshake completes a TLS handshake with addr, trusting only caPEM, for serverName.
func handshake(ctx context.Context, addr string, caPEM []byte, serverName string) error {
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	dialer := &tls.Dialer{Config: &tls.Config{RootCAs: roots, ServerName: serverName, MinVersion: tls.VersionTLS12}}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return conn.Close()
}

// runInBackground runs start until the spec ends, and expects it to return no error.
func runInBackground(ctx context.Context, start func(context.Context) error) {
	GinkgoHelper()
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() {
		defer GinkgoRecover()
		done <- start(runCtx)
	}()
	DeferCleanup(func() {
		cancel()
		Eventually(done).Should(Receive(Not(HaveOccurred())))
	})
}

// freePort is a TCP port of 127.0.0.1 that nothing listens on now.
func freePort() int {
	GinkgoHelper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close() //nolint:errcheck // Only the port number is wanted.
	return l.Addr().(*net.TCPAddr).Port
}

func freeAddress() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort()))
}
