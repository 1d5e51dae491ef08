package bundle

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// rulesFile writes the rule groups of the bundle's PrometheusRule, as a Prometheus rules file,
// into dir, next to a copy of config/prometheus/tests/alerts_test.yaml.
func rulesFile(t *testing.T, dir string) string {
	t.Helper()
	g := NewWithT(t)
	rules := objectsOfKind(loadBundle(t), "PrometheusRule")
	g.Expect(rules).To(HaveLen(1))
	groups, found, err := unstructured.NestedSlice(rules[0].Object, "spec", "groups")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(found).To(BeTrue())
	data, err := yaml.Marshal(map[string]any{"groups": groups})
	g.Expect(err).NotTo(HaveOccurred())
	path := filepath.Join(dir, "alerts.rules.yaml")
	g.Expect(os.WriteFile(path, data, 0o644)).To(Succeed())
	tests, err := os.ReadFile(filepath.Join(repoRoot(t), "config", "prometheus", "tests", "alerts_test.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(os.WriteFile(filepath.Join(dir, "alerts_test.yaml"), tests, 0o644)).To(Succeed())
	return path
}

// promtool finds promtool (Debian package prometheus, installed by hack/install-deps.sh).
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: run hack/install-deps.sh (Debian package prometheus)")
	}
	return path
}

func TestAlertRules(t *testing.T) {
	bin := promtool(t)
	dir := t.TempDir()
	rules := rulesFile(t, dir)

	t.Run("check rules", func(t *testing.T) {
		if out, err := exec.Command(bin, "check", "rules", rules).CombinedOutput(); err != nil {
			t.Fatalf("promtool check rules: %v\n%s", err, out)
		}
	})
	t.Run("test rules", func(t *testing.T) {
		cmd := exec.Command(bin, "test", "rules", "alerts_test.yaml")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("promtool test rules: %v\n%s", err, out)
		}
	})
	t.Run("every alert has a runbook, a summary and a description, and a test", func(t *testing.T) {
		g := NewWithT(t)
		var file struct {
			Groups []struct {
				Rules []struct {
					Alert       string            `json:"alert"`
					Labels      map[string]string `json:"labels"`
					Annotations map[string]string `json:"annotations"`
				} `json:"rules"`
			} `json:"groups"`
		}
		readYAML(t, rules, &file)
		var tests struct {
			Tests []struct {
				AlertRuleTest []struct {
					Alertname string `json:"alertname"`
					ExpAlerts []any  `json:"exp_alerts"`
				} `json:"alert_rule_test"`
			} `json:"tests"`
		}
		readYAML(t, filepath.Join(dir, "alerts_test.yaml"), &tests)
		firing := map[string]bool{}
		for _, tc := range tests.Tests {
			for _, a := range tc.AlertRuleTest {
				if len(a.ExpAlerts) > 0 {
					firing[a.Alertname] = true
				}
			}
		}
		alerts := 0
		for _, grp := range file.Groups {
			for _, r := range grp.Rules {
				if r.Alert == "" {
					continue
				}
				alerts++
				g.Expect(r.Labels).To(HaveKeyWithValue("severity", BeElementOf("critical", "warning", "info")), r.Alert)
				g.Expect(r.Annotations).To(HaveKeyWithValue("summary", Not(BeEmpty())), r.Alert)
				g.Expect(r.Annotations).To(HaveKeyWithValue("description", Not(BeEmpty())), r.Alert)
				g.Expect(r.Annotations).To(HaveKeyWithValue("runbook_url",
					"https://github.com/singleton-operator/singleton-operator/blob/main/docs/runbooks/"+r.Alert+".md"), r.Alert)
				g.Expect(filepath.Join(repoRoot(t), "docs", "runbooks", r.Alert+".md")).To(BeARegularFile(),
					"%s has no runbook", r.Alert)
				g.Expect(firing).To(HaveKey(r.Alert), "%s is never tested firing", r.Alert)
			}
		}
		g.Expect(alerts).To(BeNumerically(">=", 5))
	})
}
