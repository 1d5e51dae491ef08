package bundle

import (
	"strconv"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/singleton-operator/singleton-operator/internal/servingcert"
)

// serviceMonitor is the part of monitoring.coreos.com/v1 ServiceMonitor this test reads.
type serviceMonitor struct {
	Spec struct {
		Selector  metav1.LabelSelector `json:"selector"`
		Endpoints []struct {
			Port          string `json:"port"`
			Scheme        string `json:"scheme"`
			Path          string `json:"path"`
			HonorLabels   bool   `json:"honorLabels"`
			Authorization *struct {
				Type        string                    `json:"type"`
				Credentials *corev1.SecretKeySelector `json:"credentials"`
			} `json:"authorization"`
			TLSConfig *struct {
				InsecureSkipVerify bool   `json:"insecureSkipVerify"`
				ServerName         string `json:"serverName"`
				CA                 struct {
					Secret *corev1.SecretKeySelector `json:"secret"`
				} `json:"ca"`
			} `json:"tlsConfig"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// TestMetricsLabelChain follows a scrape: ServiceMonitor -> metrics Service (labels, port name)
// -> manager pods (selector, named container port), over verified HTTPS with a token that the
// metrics-reader ClusterRole authorizes.
func TestMetricsLabelChain(t *testing.T) {
	g := NewWithT(t)
	b := loadBundle(t)

	monitors := objectsOfKind(b, "ServiceMonitor")
	g.Expect(monitors).To(HaveLen(1))
	var sm serviceMonitor
	g.Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(monitors[0].Object, &sm)).To(Succeed())
	smSelector, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(smSelector.Empty()).To(BeFalse())

	var services []corev1.Service
	for _, o := range objectsOfKind(b, "Service") {
		var s corev1.Service
		g.Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &s)).To(Succeed())
		if smSelector.Matches(labels.Set(s.Labels)) {
			services = append(services, s)
		}
	}
	g.Expect(services).To(HaveLen(1), "the ServiceMonitor must select exactly the metrics Service")
	svc := services[0]

	pod := deploymentSpecs(b.CSV)[0].Spec.Template
	g.Expect(labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(pod.Labels))).To(BeTrue(),
		"the metrics Service must select the manager's pods")
	containerPorts := map[string]int32{}
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			containerPorts[p.Name] = p.ContainerPort
		}
	}

	g.Expect(sm.Spec.Endpoints).To(HaveLen(1))
	ep := sm.Spec.Endpoints[0]
	var port *corev1.ServicePort
	for i := range svc.Spec.Ports {
		if svc.Spec.Ports[i].Name == ep.Port {
			port = &svc.Spec.Ports[i]
		}
	}
	g.Expect(port).NotTo(BeNil(), "the ServiceMonitor's port %q is not a port of %s", ep.Port, svc.Name)
	g.Expect(containerPorts).To(HaveKey(port.TargetPort.String()), "the Service's targetPort names no container port")
	g.Expect(pod.Spec.Containers[0].Args).To(ContainElement(
		"--metrics-bind-address=:" + strconv.Itoa(int(containerPorts[port.TargetPort.String()]))))

	g.Expect(ep.Scheme).To(Equal("https"))
	g.Expect(ep.Path).To(Equal("/metrics"))
	g.Expect(ep.HonorLabels).To(BeTrue(), "the per-object namespace label must survive the scrape")
	// The token is the metrics scraper's, from the Secret the manager keeps (no file).
	g.Expect(ep.Authorization).NotTo(BeNil())
	g.Expect(ep.Authorization.Type).To(Equal("Bearer"))
	g.Expect(ep.Authorization.Credentials).NotTo(BeNil())
	g.Expect(ep.Authorization.Credentials.Name).To(Equal(scrapeTokenSecret))
	g.Expect(ep.Authorization.Credentials.Key).To(Equal(corev1.ServiceAccountTokenKey))
	g.Expect(ep.TLSConfig).NotTo(BeNil())
	g.Expect(ep.TLSConfig.InsecureSkipVerify).To(BeFalse())
	g.Expect(ep.TLSConfig.CA.Secret).NotTo(BeNil())
	g.Expect(ep.TLSConfig.CA.Secret.Name).To(Equal("singleton-operator-metrics-server-cert"))
	g.Expect(ep.TLSConfig.CA.Secret.Key).To(Equal("ca.crt"))
	// The certificate the manager makes is for the Service's DNS names; the short name is one
	// of them in every namespace OLM may install into.
	g.Expect(servingcert.ServiceDNSNames(svc.Name, "any-namespace")).To(ContainElement(ep.TLSConfig.ServerName))

	var reader *rbacv1.ClusterRole
	for _, o := range objectsOfKind(b, "ClusterRole") {
		var cr rbacv1.ClusterRole
		g.Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &cr)).To(Succeed())
		if cr.Name == "singleton-operator-metrics-reader" {
			reader = &cr
		}
	}
	g.Expect(reader).NotTo(BeNil(), "the bundle must ship the metrics-reader ClusterRole")
	g.Expect(reader.Rules).To(ConsistOf(rbacv1.PolicyRule{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}))
}
