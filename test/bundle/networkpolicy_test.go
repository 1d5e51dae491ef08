package bundle

import (
	"testing"

	. "github.com/onsi/gomega"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// operatorNamespace is the namespace the bundle suggests, where OLM installs the policies.
const operatorNamespace = "singleton-operator-system"

// admits says whether the policies, in the operator's namespace, let a pod in a namespace with
// nsLabels reach port.
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
				if peer.IPBlock != nil {
					continue
				}
				if peer.NamespaceSelector == nil {
					// A pod selector alone: pods of the policy's own namespace.
					if peer.PodSelector != nil && len(peer.PodSelector.MatchLabels) == 0 &&
						len(peer.PodSelector.MatchExpressions) == 0 && nsLabels["kubernetes.io/metadata.name"] == operatorNamespace {
						return true
					}
					continue
				}
				if peer.PodSelector != nil {
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

// TestNetworkPolicyAdmitsScrapersAndTheAPIServer: the bundle's NetworkPolicies (from
// config/network-policy) select the manager's pods and let the monitoring namespaces, namespaces
// labeled metrics=enabled and the operator's own namespace reach the metrics port (else
// SingletonOperatorDown fires), anyone the webhook port (the API server calls from a node or
// host address no selector matches) and the gate channel (the selected pods of every namespace),
// and nothing else. The health port needs no rule: the kubelet probes from the pod's own node,
// which a NetworkPolicy never blocks.
func TestNetworkPolicyAdmitsScrapersAndTheAPIServer(t *testing.T) {
	g := NewWithT(t)
	b := loadBundle(t)
	objs := objectsOfKind(b, "NetworkPolicy")
	g.Expect(objs).To(HaveLen(3), "metrics, webhook and gate channel policies in the bundle")
	manager := deploymentSpecs(b.CSV)[0].Spec.Template
	policies := make([]networkingv1.NetworkPolicy, 0, len(objs))
	for _, o := range objs {
		var p networkingv1.NetworkPolicy
		g.Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &p)).To(Succeed())
		g.Expect(p.Name).To(HavePrefix("singleton-operator-"))
		sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(p.Spec.PodSelector.MatchLabels).NotTo(BeEmpty(), p.Name)
		g.Expect(sel.Matches(labels.Set(manager.Labels))).To(BeTrue(), "%s selects the manager's pods", p.Name)
		g.Expect(p.Spec.PolicyTypes).To(ConsistOf(networkingv1.PolicyTypeIngress), "%s limits ingress only", p.Name)
		policies = append(policies, p)
	}
	const own = operatorNamespace
	ns := func(name string) map[string]string { return map[string]string{"kubernetes.io/metadata.name": name} }
	for _, m := range []string{"openshift-user-workload-monitoring", "openshift-monitoring", "monitoring", own} {
		g.Expect(admits(policies, ns(m), 8443)).To(BeTrue(), "metrics from %s", m)
	}
	g.Expect(admits(policies, map[string]string{"kubernetes.io/metadata.name": "x", "metrics": "enabled"}, 8443)).To(BeTrue())
	g.Expect(admits(policies, ns("default"), 8443)).To(BeFalse(), "metrics from any namespace")
	g.Expect(admits(policies, ns("default"), 9443)).To(BeTrue(), "the webhook from anywhere")
	g.Expect(admits(policies, ns("default"), 9444)).To(BeTrue(), "the gate channel from every namespace")
	g.Expect(admits(policies, ns("openshift-monitoring"), 8081)).To(BeFalse(), "no other port")

	// Every port the manager serves is one of those, or the health port.
	for _, c := range manager.Spec.Containers {
		for _, p := range c.Ports {
			g.Expect([]int32{8443, 9443, 9444, 8081}).To(ContainElement(p.ContainerPort), "port %s of %s", p.Name, c.Name)
		}
	}
}
