//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The hand-over benchmark: N rollouts of one workload under a StatefulSingleton, under plain
// Deployment Recreate, and under plain RollingUpdate, in one run on the same machine. It prints
// figures; it asserts nothing about time. Run it with `make bench-handover` (label "bench",
// left out of `make test`).
var _ = Describe("The hand-over benchmark", Label("bench"), func() {
	It("measures the gap and the transition time of N rollouts, against Recreate and RollingUpdate",
		func(ctx SpecContext) {
			n := 20
			if v, err := strconv.Atoi(os.Getenv("BENCH_ROLLOUTS")); err == nil && v > 0 {
				n = v
			}
			results := []benchResult{
				measureRollouts(ctx, "StatefulSingleton (RollingUpdate)", appsv1.RollingUpdateDeploymentStrategyType, true, n),
				measureRollouts(ctx, "Deployment Recreate", appsv1.RecreateDeploymentStrategyType, false, n),
				measureRollouts(ctx, "Deployment RollingUpdate", appsv1.RollingUpdateDeploymentStrategyType, false, n),
			}
			table := formatBench(results, n)
			GinkgoWriter.Print(table)
			AddReportEntry("hand-over benchmark", table)
			if out := os.Getenv("BENCH_OUT"); out != "" {
				Expect(os.WriteFile(out, []byte(table), 0o644)).To(Succeed())
			}
		}, NodeTimeout(50*time.Minute))
})

type benchResult struct {
	name        string
	gaps        []time.Duration // new application started - old one stopped; negative is an overlap
	transitions []time.Duration // rollout requested -> only the new pod left, Ready
	// The parts of each gap under a StatefulSingleton (podMoments.gapParts).
	reports, releases, starts []time.Duration
}

// measureRollouts runs n rollouts of a one-replica Deployment whose application reports to a
// ledger, and returns the gaps between consecutive runs and the transition times.
func measureRollouts(ctx context.Context, name string, strategy appsv1.DeploymentStrategyType,
	singleton bool, n int,
) benchResult {
	book := startLedger()
	ns := newRestrictedNamespace(ctx)
	var moments *podMoments
	if singleton {
		createSingleton(ctx, ns, "bench")
		moments = watchPodMoments(ctx, ns)
	}
	d := deployment(ns, "bench", restrictedContainer("bench", "sh", "-c", reportingScript(book.URL)))
	d.Spec.Strategy.Type = strategy
	Expect(k8s.Create(ctx, d)).To(Succeed())
	current := waitForOnlyPodReady(ctx, ns, "bench", "")

	result := benchResult{name: name}
	for range n {
		start := time.Now()
		restartRollout(ctx, d)
		next := waitForOnlyPodReady(ctx, ns, "bench", current.UID)
		Eventually(func() error {
			return k8s.Get(ctx, client.ObjectKeyFromObject(&current), &corev1.Pod{})
		}).WithContext(ctx).Should(MatchError(ContainSubstring("not found")), "the old pod is gone")
		result.transitions = append(result.transitions, time.Since(start))
		current = next
	}
	Eventually(book.Runs).Should(HaveLen(n+1), "every rollout started the application once")
	runs := book.Runs()
	slices.SortFunc(runs, func(a, b interval) int { return a.Start.Compare(b.Start) })
	for i := 1; i < len(runs); i++ {
		result.gaps = append(result.gaps, runs[i].Start.Sub(runs[i-1].Stop))
		if moments == nil {
			continue
		}
		if report, release, start, ok := moments.gapParts(runs[i-1], runs[i]); ok {
			result.reports = append(result.reports, report)
			result.releases = append(result.releases, release)
			result.starts = append(result.starts, start)
		}
	}
	return result
}

// formatBench prints p50 / p95 / max of the gaps and transition times, the overlaps, and the
// ratio of each median gap to Recreate's, measured in the same run.
func formatBench(results []benchResult, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "hand-over benchmark: %d rollouts each, one-replica Deployment, app exits on TERM\n", n)
	fmt.Fprintf(&b, "%-36s %10s %10s %10s %10s %10s %10s %9s %14s\n", "workload",
		"gap p50", "gap p95", "gap max", "total p50", "total p95", "total max", "overlaps", "gap/Recreate")
	recreate := percentile(results[1].gaps, 50)
	for i := range results {
		r := &results[i]
		overlaps := 0
		for _, g := range r.gaps {
			if g < 0 {
				overlaps++
			}
		}
		fmt.Fprintf(&b, "%-36s %10s %10s %10s %10s %10s %10s %9d %14.2f\n", r.name,
			ms(percentile(r.gaps, 50)), ms(percentile(r.gaps, 95)), ms(percentile(r.gaps, 100)),
			ms(percentile(r.transitions, 50)), ms(percentile(r.transitions, 95)), ms(percentile(r.transitions, 100)),
			overlaps, float64(percentile(r.gaps, 50))/float64(recreate))
	}
	for i := range results {
		r := &results[i]
		if len(r.reports) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s: where the gap goes (p50 / p95 / max, %d hand-overs)\n", r.name, len(r.reports))
		for _, part := range []struct {
			name string
			ds   []time.Duration
		}{
			{"old app stopped -> kubelet reports its containers terminated", r.reports},
			{"-> operator has released the new pod (watch event seen)", r.releases},
			{"-> new app started (kubelet, downward API file, gate)", r.starts},
		} {
			fmt.Fprintf(&b, "  %-64s %8s %8s %8s\n", part.name,
				ms(percentile(part.ds, 50)), ms(percentile(part.ds, 95)), ms(percentile(part.ds, 100)))
		}
	}
	return b.String()
}

// percentile returns the p-th percentile (nearest rank) of the durations.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	return sorted[(len(sorted)*p+99)/100-1]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond)) }
