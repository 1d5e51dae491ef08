//go:build olm

package olm

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// scrapeMetrics scrapes the installed operator's metrics Service as Prometheus would: HTTPS
// verified against the CA of the operator's metrics certificate, with the token of a
// ServiceAccount bound to the bundle's metrics-reader ClusterRole. The hand-over of the upgrade
// test must show in the operator's own metrics.
func scrapeMetrics(ctx context.Context) {
	GinkgoHelper()
	svc := &corev1.Service{}
	Expect(k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: metricsService}, svc)).To(Succeed())
	url := fmt.Sprintf("https://%s:%d/metrics", svc.Spec.ClusterIP, svc.Spec.Ports[0].Port)

	secret := &corev1.Secret{}
	Eventually(func() error {
		return k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: metricsCertSecret}, secret)
	}).WithContext(ctx).Should(Succeed())
	roots := x509.NewCertPool()
	Expect(roots.AppendCertsFromPEM(secret.Data["ca.crt"])).To(BeTrue(), "ca.crt of Secret %s holds a certificate", metricsCertSecret)
	httpClient := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs: roots,
			// Dialed by cluster IP, verified as the Service's DNS name.
			ServerName: fmt.Sprintf("%s.%s.svc", metricsService, operatorNamespace),
			MinVersion: tls.VersionTLS12,
		}},
	}

	Expect(k8s.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: appNamespace, Name: "prometheus"}})).To(Succeed())
	Expect(k8s.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "olm-test-metrics-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: metricsReaderRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: appNamespace, Name: "prometheus"}},
	})).To(Succeed())
	tr, err := clientset.CoreV1().ServiceAccounts(appNamespace).CreateToken(ctx, "prometheus", &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](600)},
	}, metav1.CreateOptions{})
	Expect(err).NotTo(HaveOccurred())

	get := func(g Gomega, url string) string {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
		g.Expect(err).NotTo(HaveOccurred())
		req.Header.Set("Authorization", "Bearer "+tr.Status.Token)
		resp, err := httpClient.Do(req)
		g.Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close() //nolint:errcheck // Nothing is left to do when closing a read body fails.
		body, err := io.ReadAll(resp.Body)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
		return string(body)
	}
	Eventually(func(g Gomega) {
		g.Expect(get(g, url)).To(ContainSubstring(`certwatcher_read_certificate_total`), "through the Service")
		// Every replica serves metrics; only the leader reconciles, so the hand-over is counted
		// by one of them: each is scraped by its own address, as Prometheus does.
		var leaders int
		pods := operatorPods(ctx, g)
		for i := range pods {
			port := containerPort(g, &pods[i], svc.Spec.Ports[0].TargetPort.String())
			body := get(g, fmt.Sprintf("https://%s:%d/metrics", pods[i].Status.PodIP, port))
			if regexp.MustCompile(`(?m)^statefulsingleton_transitions_total\{[^}]*result="completed"[^}]*\} [1-9]`).MatchString(body) {
				leaders++
			}
		}
		g.Expect(leaders).To(BeNumerically(">=", 1), "the upgraded operator counts the hand-over it did")
	}).WithContext(ctx).Should(Succeed())
}

// containerPort finds the port a Service's targetPort names (a number or a port's name) in a pod.
func containerPort(g Gomega, pod *corev1.Pod, target string) int32 {
	for i := range pod.Spec.Containers {
		for _, p := range pod.Spec.Containers[i].Ports {
			if p.Name == target || fmt.Sprint(p.ContainerPort) == target {
				return p.ContainerPort
			}
		}
	}
	g.Expect(target).To(BeEmpty(), "pod %s has no port %s", pod.Name, target)
	return 0
}

// operatorPods lists the running pods of the operator's Deployment.
func operatorPods(ctx context.Context, g Gomega) []corev1.Pod {
	d := &appsv1.Deployment{}
	g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: operatorDeployment}, d)).To(Succeed())
	pods := &corev1.PodList{}
	g.Expect(k8s.List(ctx, pods, client.InNamespace(operatorNamespace),
		client.MatchingLabels(d.Spec.Selector.MatchLabels))).To(Succeed())
	var running []corev1.Pod
	for i := range pods.Items {
		if pods.Items[i].Status.PodIP != "" && pods.Items[i].DeletionTimestamp == nil {
			running = append(running, pods.Items[i])
		}
	}
	g.Expect(running).NotTo(BeEmpty())
	return running
}
