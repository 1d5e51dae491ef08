package bundle

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

// admits says whether the policies let a pod in a namespace with nsLabels reach port.
func admits(policies []networkingv1.NetworkPolicy, nsLabels map[string]string, port int32) bool {
	for i := range policies {
		for _, rule := range policies[i].Spec.Ingress {
			portOK := len(rule.Ports) == 0
			for _, rp := range rule.Ports {
				if rp.Port != nil && rp.Port.IntVal == port {
					portOK = true
				}
			}
			if !portOK {
				continue
			}
			if len(rule.From) == 0 {
				return true
			}
			for _, peer := range rule.From {
				if peer.NamespaceSelector == nil || peer.PodSelector != nil || peer.IPBlock != nil {
					continue
				}
				sel, err := metav1.LabelSelectorAsSelector(peer.NamespaceSelector)
				if err == nil && sel.Matches(labels.Set(nsLabels)) {
					return true
				}
			}
		}
	}
	return false
}

// TestNetworkPolicyAdmitsScrapersAndTheAPIServer: config/network-policy lets the monitoring
// namespaces reach the metrics port (else SingletonOperatorDown fires once it is enabled), and
// anyone the webhook port (the API server calls from a node or host address no selector
// matches), and nothing else.
func TestNetworkPolicyAdmitsScrapersAndTheAPIServer(t *testing.T) {
	g := NewWithT(t)
	dir := filepath.Join(repoRoot(t), "config", "network-policy")
	files := []string{"allow-metrics-traffic.yaml", "allow-webhook-traffic.yaml"}
	policies := make([]networkingv1.NetworkPolicy, 0, len(files))
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		g.Expect(err).NotTo(HaveOccurred())
		var p networkingv1.NetworkPolicy
		g.Expect(yaml.UnmarshalStrict(data, &p)).To(Succeed(), f)
		g.Expect(p.Spec.PodSelector.MatchLabels).To(HaveKeyWithValue("control-plane", "controller-manager"), f)
		policies = append(policies, p)
	}
	ns := func(name string) map[string]string { return map[string]string{"kubernetes.io/metadata.name": name} }
	for _, m := range []string{"openshift-user-workload-monitoring", "openshift-monitoring", "monitoring"} {
		g.Expect(admits(policies, ns(m), 8443)).To(BeTrue(), "metrics from %s", m)
	}
	g.Expect(admits(policies, map[string]string{"kubernetes.io/metadata.name": "x", "metrics": "enabled"}, 8443)).To(BeTrue())
	g.Expect(admits(policies, ns("default"), 8443)).To(BeFalse(), "metrics from any namespace")
	g.Expect(admits(policies, ns("default"), 9443)).To(BeTrue(), "the webhook from anywhere")
	g.Expect(admits(policies, ns("openshift-monitoring"), 8081)).To(BeFalse(), "no other port")
}
