//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/singleton-operator/singleton-operator/hack/dashboard"
)

// dashboardFile is the dashboard of docs/monitoring.md, as config/grafana ships it.
const dashboardFile = "../../config/grafana/singleton-operator.json"

// checkDashboard asks the real Prometheus for every query of every panel over the monitoring
// specs' run (from start), expects each to return data (a finite value: a quantile of no
// observations is NaN), and draws the dashboard from what it
// returned into an SVG file: E2E_DASHBOARD_SVG, or bin/dashboard.svg (docs/images/dashboard.svg
// is a copy of one).
func checkDashboard(ctx context.Context, prom *prometheus, start time.Time) {
	GinkgoHelper()
	panels, err := dashboard.Load(dashboardFile)
	Expect(err).NotTo(HaveOccurred())
	Expect(panels).NotTo(BeEmpty())

	var charts []dashboard.Chart
	var end time.Time
	Eventually(func(g Gomega) {
		end = time.Now()
		step := max(5*time.Second, end.Sub(start)/240).Round(time.Second)
		charts = charts[:0]
		for i := range panels {
			p := &panels[i]
			chart := dashboard.Chart{Title: p.Title, Unit: p.Unit()}
			for _, q := range p.Targets {
				series, err := dashboard.QueryRange(ctx, prom.url, q.Expr, q.Legend, start, end, step)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(finiteSamples(series)).To(BeNumerically(">", 0), "panel %q: %s returns no data", p.Title, q.Expr)
				chart.Series = append(chart.Series, series...)
			}
			charts = append(charts, chart)
		}
	}).WithContext(ctx).WithTimeout(2 * time.Minute).WithPolling(5 * time.Second).Should(Succeed())

	caption := fmt.Sprintf("Rendered by hack/dashboard from the Prometheus of an e2e run (make test-e2e, label monitoring), "+
		"%s to %s UTC:\nthe local cluster through the monitoring specs' faults, rollouts and two WECs reporting; "+
		"not a production cluster, not a screenshot of Grafana.",
		start.UTC().Format("2006-01-02 15:04:05"), end.UTC().Format("15:04:05"))
	out := envOr("E2E_DASHBOARD_SVG", "../../bin/dashboard.svg")
	Expect(os.MkdirAll(filepath.Dir(out), 0o755)).To(Succeed())
	Expect(os.WriteFile(out, dashboard.RenderSVG("singleton-operator dashboard", caption, charts, start, end), 0o644)).
		To(Succeed())
	GinkgoWriter.Printf("the dashboard, drawn from this run: %s\n", out)
}

// finiteSamples counts the samples of the series that are numbers.
func finiteSamples(series []dashboard.Series) int {
	n := 0
	for _, s := range series {
		for _, p := range s.Points {
			if !math.IsNaN(p.V) && !math.IsInf(p.V, 0) {
				n++
			}
		}
	}
	return n
}
