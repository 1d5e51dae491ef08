package dashboard

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/yaml"
)

const (
	dashboardFile = "../../config/grafana/singleton-operator.json"
	rulesFile     = "../../config/prometheus/alerts.yaml"
)

// The panel types the OpenShift console's dashboards draw as Grafana does (it ignores others).
var consoleTypes = []string{"graph", "singlestat", "table", "row"}

// Every panel has a title, a description, the datasource variable and at least one query with
// a legend, and is of a type the OpenShift console draws.
func TestPanelsAreComplete(t *testing.T) {
	g := NewWithT(t)
	panels, err := Load(dashboardFile)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(len(panels)).To(BeNumerically(">=", 8))
	for _, p := range panels {
		g.Expect(p.Title).NotTo(BeEmpty())
		g.Expect(p.Description).NotTo(BeEmpty(), p.Title)
		g.Expect(consoleTypes).To(ContainElement(p.Type), p.Title)
		g.Expect(p.Datasource).To(Equal("$datasource"), p.Title)
		g.Expect(p.Targets).NotTo(BeEmpty(), p.Title)
		for _, q := range p.Targets {
			g.Expect(q.Expr).NotTo(BeEmpty(), p.Title)
			g.Expect(q.Legend).NotTo(BeEmpty(), p.Title)
		}
	}
}

// Every panel's query is valid PromQL: promtool (Debian package prometheus, installed by
// hack/install-deps.sh) checks them all as the expressions of recording rules.
func TestPanelQueriesParse(t *testing.T) {
	g := NewWithT(t)
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: run hack/install-deps.sh (Debian package prometheus)")
	}
	panels, err := Load(dashboardFile)
	g.Expect(err).NotTo(HaveOccurred())
	var rules []map[string]string
	for i, p := range panels {
		for j, q := range p.Targets {
			rules = append(rules, map[string]string{"record": fmt.Sprintf("panel_%d_%d", i, j), "expr": q.Expr})
		}
	}
	out, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "panels", "rules": rules}}})
	g.Expect(err).NotTo(HaveOccurred())
	file := filepath.Join(t.TempDir(), "panels.yaml")
	g.Expect(os.WriteFile(file, out, 0o600)).To(Succeed())
	msg, err := exec.Command(promtool, "check", "rules", file).CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), "promtool check rules:\n%s\n%s", msg, out)
	g.Expect(string(msg)).To(ContainSubstring(fmt.Sprintf("SUCCESS: %d rules found", len(rules))))

	// And a query that is not PromQL is caught.
	g.Expect(os.WriteFile(file, []byte("groups: [{name: x, rules: [{record: x, expr: 'sum by (a (b)'}]}]\n"), 0o600)).To(Succeed())
	g.Expect(exec.Command(promtool, "check", "rules", file).Run()).To(HaveOccurred())
}

// recorded matches the names of recorded series (level:metric:operation).
var recorded = regexp.MustCompile(`\b[a-z_]+:[a-z_]+:[a-z0-9_]+\b`)

// The series the panels read that recording rules make are recorded by config/prometheus, so a
// dashboard without those rules loaded shows nothing rather than something else.
func TestPanelsReadRecordedSeries(t *testing.T) {
	g := NewWithT(t)
	raw, err := os.ReadFile(rulesFile)
	g.Expect(err).NotTo(HaveOccurred())
	var pr struct {
		Spec struct {
			Groups []struct {
				Rules []struct {
					Record string `json:"record"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"spec"`
	}
	g.Expect(yaml.Unmarshal(raw, &pr)).To(Succeed())
	records := map[string]bool{}
	for _, gr := range pr.Spec.Groups {
		for _, r := range gr.Rules {
			if r.Record != "" {
				records[r.Record] = true
			}
		}
	}
	panels, err := Load(dashboardFile)
	g.Expect(err).NotTo(HaveOccurred())
	used := 0
	for _, p := range panels {
		for _, q := range p.Targets {
			for _, name := range recorded.FindAllString(q.Expr, -1) {
				used++
				g.Expect(records).To(HaveKey(name), "panel %q reads %s", p.Title, name)
			}
		}
	}
	g.Expect(used).To(BeNumerically(">", 0))
}

// The kustomization of config/grafana makes the ConfigMap the OpenShift console reads dashboards
// from: in openshift-config-managed, labeled console.openshift.io/dashboard, holding the JSON
// under a stable name.
func TestConsoleConfigMap(t *testing.T) {
	g := NewWithT(t)
	raw, err := os.ReadFile("../../config/grafana/kustomization.yaml")
	g.Expect(err).NotTo(HaveOccurred())
	var k struct {
		Namespace        string `json:"namespace"`
		GeneratorOptions struct {
			DisableNameSuffixHash bool              `json:"disableNameSuffixHash"`
			Labels                map[string]string `json:"labels"`
		} `json:"generatorOptions"`
		ConfigMapGenerator []struct {
			Name  string   `json:"name"`
			Files []string `json:"files"`
		} `json:"configMapGenerator"`
	}
	g.Expect(yaml.Unmarshal(raw, &k)).To(Succeed())
	g.Expect(k.Namespace).To(Equal("openshift-config-managed"))
	g.Expect(k.GeneratorOptions.DisableNameSuffixHash).To(BeTrue(), "a stable name, which an apply replaces")
	g.Expect(k.GeneratorOptions.Labels).To(HaveKeyWithValue("console.openshift.io/dashboard", "true"))
	g.Expect(k.ConfigMapGenerator).To(ConsistOf(HaveField("Files", ConsistOf(filepath.Base(dashboardFile)))))
}

func TestLegend(t *testing.T) {
	g := NewWithT(t)
	g.Expect(Legend("p99 {{object_namespace}}/{{ name }} {{missing}}", map[string]string{
		"object_namespace": "shop", "name": "db",
	})).To(Equal("p99 shop/db "))
}

// The picture is well-formed SVG that names every chart and series, says where its data comes
// from, draws a line per series (broken where a quantile has no value) and says "no data" for
// an empty chart.
func TestRenderSVG(t *testing.T) {
	g := NewWithT(t)
	start := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	at := func(s int, v float64) Point { return Point{T: start.Add(time.Duration(s) * time.Second), V: v} }
	charts := []Chart{
		{Title: "Hand-over gap", Unit: "s", Series: []Series{
			{Name: "p50 shop/db", Points: []Point{at(0, 0.08), at(10, 0.1), at(20, math.NaN()), at(30, 0.2), at(40, 0.3)}},
			{Name: "p99 shop/db", Points: []Point{at(0, 0.5), at(30, 1.5)}},
		}},
		{Title: "Writes by result", Unit: "reqps"},
		{Title: "One sample", Series: []Series{{Name: "lone", Points: []Point{at(30, 1)}}}},
	}
	out := RenderSVG("singleton-operator", "Rendered from an e2e run\nof the local cluster", charts, start, start.Add(time.Minute))

	d := xml.NewDecoder(bytes.NewReader(out))
	var texts []string
	polylines, dots := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		g.Expect(err).NotTo(HaveOccurred(), "well-formed XML")
		switch tok := tok.(type) {
		case xml.StartElement:
			switch tok.Name.Local {
			case "polyline":
				polylines++
			case "circle":
				dots++
			}
		case xml.CharData:
			if s := strings.TrimSpace(string(tok)); s != "" {
				texts = append(texts, s)
			}
		}
	}
	g.Expect(texts).To(ContainElements("singleton-operator", "Rendered from an e2e run", "of the local cluster", "Hand-over gap",
		"Writes by result", "p50 shop/db", "p99 shop/db", "no data", "2 s", "07:00:00", "07:01:00"))
	g.Expect(polylines).To(Equal(3), "p50 broken in two at its NaN, p99 whole")
	g.Expect(dots).To(Equal(1), "a lone sample is a dot")
}
