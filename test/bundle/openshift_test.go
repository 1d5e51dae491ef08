package bundle

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
)

const (
	// scrapeTokenSecret and scraperAccount are the defaults of the manager's
	// --metrics-token-secret and --metrics-scraper-service-account (main.go).
	scrapeTokenSecret = "singleton-operator-metrics-scraper-token"
	scraperAccount    = "singleton-operator-metrics-scraper"
)

// fileFields lists the fields of v, at any depth, whose name says they read a file of the
// Prometheus pod (bearerTokenFile, caFile, certFile, keyFile, credentialsFile, passwordFile...).
func fileFields(path string, v any) []string {
	var found []string
	switch v := v.(type) {
	case map[string]any:
		for k, sub := range v {
			p := path + "." + k
			if strings.HasSuffix(strings.ToLower(k), "file") {
				found = append(found, p)
			}
			found = append(found, fileFields(p, sub)...)
		}
	case []any:
		for i, sub := range v {
			found = append(found, fileFields(fmt.Sprintf("%s[%d]", path, i), sub)...)
		}
	}
	sort.Strings(found)
	return found
}

func TestFileFieldsFindsFileCredentials(t *testing.T) {
	g := NewWithT(t)
	ep := map[string]any{"endpoints": []any{map[string]any{
		"bearerTokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token",
		"tlsConfig":       map[string]any{"caFile": "a", "certFile": "b", "keyFile": "c", "serverName": "x"},
	}}}
	g.Expect(fileFields("spec", ep)).To(Equal([]string{
		"spec.endpoints[0].bearerTokenFile",
		"spec.endpoints[0].tlsConfig.caFile",
		"spec.endpoints[0].tlsConfig.certFile",
		"spec.endpoints[0].tlsConfig.keyFile",
	}))
	g.Expect(fileFields("spec", map[string]any{"endpoints": []any{map[string]any{"port": "https"}}})).To(BeEmpty())
}

// TestServiceMonitorReadsNoFiles: OpenShift's user-workload monitoring runs its Prometheus
// Operator with arbitraryFSAccessThroughSMs denied and drops a ServiceMonitor that names a file
// (bearerTokenFile, tlsConfig caFile, certFile, keyFile). Every credential comes from a Secret.
func TestServiceMonitorReadsNoFiles(t *testing.T) {
	g := NewWithT(t)
	b := loadBundle(t)
	monitors := objectsOfKind(b, "ServiceMonitor")
	g.Expect(monitors).NotTo(BeEmpty())
	for _, m := range monitors {
		g.Expect(fileFields("spec", m.Object["spec"])).To(BeEmpty(),
			"ServiceMonitor %s reads a file of the Prometheus pod", m.GetName())
	}
}

// TestScraperIsAuthorizedOutOfTheBox: the ServiceAccount whose token the ServiceMonitor sends
// gets the metrics-reader rule from the CSV (OLM binds it in the install namespace), and the
// manager, which makes the token Secret, may create Secrets in its namespace.
func TestScraperIsAuthorizedOutOfTheBox(t *testing.T) {
	g := NewWithT(t)
	spec := loadBundle(t).CSV.Spec.InstallStrategy.StrategySpec

	var scraperRules []rbacv1.PolicyRule
	for _, p := range spec.ClusterPermissions {
		if p.ServiceAccountName == scraperAccount {
			scraperRules = append(scraperRules, p.Rules...)
		}
	}
	g.Expect(scraperRules).To(ConsistOf(rbacv1.PolicyRule{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}),
		"the CSV must give %s exactly get on /metrics", scraperAccount)

	manager := deploymentSpecs(loadBundle(t).CSV)[0].Spec.Template.Spec
	canCreateSecrets := false
	for _, p := range spec.Permissions {
		if p.ServiceAccountName != manager.ServiceAccountName {
			continue
		}
		for _, r := range p.Rules {
			if contains(r.APIGroups, "") && contains(r.Resources, "secrets") && contains(r.Verbs, "create") &&
				contains(r.Verbs, "get") && len(r.ResourceNames) == 0 {
				canCreateSecrets = true
			}
		}
	}
	g.Expect(canCreateSecrets).To(BeTrue(), "the manager must get and create Secrets in its namespace (the scrape token)")

	for _, c := range manager.Containers {
		for _, a := range c.Args {
			g.Expect(a).NotTo(HavePrefix("--metrics-token-secret="), "the ServiceMonitor names the default Secret")
			g.Expect(a).NotTo(HavePrefix("--metrics-scraper-service-account="), "the CSV names the default ServiceAccount")
		}
	}
	g.Expect(corev1.ServiceAccountTokenKey).To(Equal("token"))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
