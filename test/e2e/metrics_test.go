//go:build e2e

package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// metricsCertSecret keeps the CA and serving certificate the operator makes for its metrics
// endpoint (internal/servingcert).
const metricsCertSecret = "singleton-operator-metrics-server-cert"

var _ = Describe("The operator's metrics endpoint", func() {
	var (
		url        string
		httpClient *http.Client
	)
	scrape := func(token string) (int, string, error) {
		req, err := http.NewRequest(http.MethodGet, url, http.NoBody)
		if err != nil {
			return 0, "", err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close() //nolint:errcheck // Nothing is left to do when closing a read body fails.
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}

	BeforeEach(func(ctx SpecContext) {
		svc := &corev1.Service{}
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: metricsService}, svc)).To(Succeed())
		url = fmt.Sprintf("https://%s:%d/metrics", svc.Spec.ClusterIP, svc.Spec.Ports[0].Port)

		// The client trusts only the operator's own metrics CA, and checks that the server is
		// the metrics Service, although it is dialed by its cluster IP.
		secret := &corev1.Secret{}
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: metricsCertSecret}, secret)).To(Succeed())
		roots := x509.NewCertPool()
		Expect(roots.AppendCertsFromPEM(secret.Data["ca.crt"])).To(BeTrue(), "ca.crt of Secret %s holds a certificate", metricsCertSecret)
		httpClient = &http.Client{
			Timeout: 10 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{
				RootCAs:    roots,
				ServerName: fmt.Sprintf("%s.%s.svc", metricsService, operatorNamespace),
				MinVersion: tls.VersionTLS12,
			}},
		}
	})

	It("serves metrics over verified HTTPS only to callers allowed to read them", func(ctx SpecContext) {
		ns := newRestrictedNamespace(ctx)
		reader := serviceAccountToken(ctx, ns, "reader")
		stranger := serviceAccountToken(ctx, ns, "stranger")
		binding := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-metrics-reader-"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: metricsReaderRole},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: "reader"}},
		}
		Expect(k8s.Create(ctx, binding)).To(Succeed())
		DeferCleanup(func(ctx SpecContext) { Expect(k8s.Delete(ctx, binding)).To(Succeed()) })

		By("answering a reader with the controller-runtime metrics")
		// Either replica may answer through the Service; only the leader reconciles, so the
		// check is on what every replica serves.
		Eventually(func(g Gomega) {
			code, body, err := scrape(reader)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(code).To(Equal(http.StatusOK))
			g.Expect(body).To(ContainSubstring(`certwatcher_read_certificate_total`))
			g.Expect(body).To(ContainSubstring(`go_goroutines `))
		}).WithContext(ctx).Should(Succeed())

		By("refusing a caller without a token, and one whose account may not read metrics")
		code, _, err := scrape("")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(http.StatusUnauthorized))
		code, _, err = scrape(stranger)
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(http.StatusForbidden))
	})
})

// serviceAccountToken creates a ServiceAccount and returns a short-lived token for it.
func serviceAccountToken(ctx SpecContext, namespace, name string) string {
	Expect(k8s.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}})).To(Succeed())
	tr, err := clientset.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)},
	}, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())
	return tr.Status.Token
}
