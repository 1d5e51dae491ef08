//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

// The hand-over benchmark: N rollouts of one workload under a StatefulSingleton (the fast
// hand-over on and off, the application container with a command and without one, its image
// read from a registry or not), under plain Deployment Recreate, and under plain RollingUpdate,
// in one run on the same machine. The application (test/bench/app) is alone in an image with no
// shell, its ENTRYPOINT; it reports its start and its stop to the test's ledger. It prints
// figures; it asserts nothing about time. Run it with `make bench-handover` (label
// "bench", left out of `make test`).
var _ = Describe("The hand-over benchmark", Label("bench"), func() {
	It("measures the gap and the transition time of N rollouts, against Recreate and RollingUpdate",
		func(ctx SpecContext) {
			n := 20
			if v, err := strconv.Atoi(os.Getenv("BENCH_ROLLOUTS")); err == nil && v > 0 {
				n = v
			}
			rolling, recreate := appsv1.RollingUpdateDeploymentStrategyType, appsv1.RecreateDeploymentStrategyType
			on, off := singletonv1.FastHandOverEnabled, singletonv1.FastHandOverDisabled
			// One application image for every row: served by the suite's registry, which the
			// operator reads, or from a repository the registry does not have.
			app := benchApp(ctx)
			cases := []benchCase{
				{"StatefulSingleton fast, command", rolling, on, true, app.Image},
				{recreateRow, recreate, "", true, app.Image},
				{"Deployment RollingUpdate", rolling, "", true, app.Image},
				{"StatefulSingleton slow, command", rolling, off, true, app.Image},
				{"StatefulSingleton fast, no command, not read", rolling, on, false, app.Unreadable},
				{"StatefulSingleton fast, no command, image read", rolling, on, false, app.Image},
			}
			// BENCH_ROWS, a regular expression, keeps the rows whose names match it; Recreate,
			// the baseline of every ratio, always runs.
			rows := regexp.MustCompile(os.Getenv("BENCH_ROWS"))
			var results []benchResult
			for _, c := range cases {
				if c.name == recreateRow || rows.MatchString(c.name) {
					results = append(results, measureRollouts(ctx, c, n))
				}
			}
			table := formatBench(results, n)
			GinkgoWriter.Print(table)
			AddReportEntry("hand-over benchmark", table)
			if out := os.Getenv("BENCH_OUT"); out != "" {
				Expect(os.WriteFile(out, []byte(table), 0o644)).To(Succeed())
			}
		}, NodeTimeout(50*time.Minute))
})

// recreateRow is the baseline row: every gap is compared with its median.
const recreateRow = "Deployment Recreate"

// benchCase is one row of the benchmark.
type benchCase struct {
	name     string
	strategy appsv1.DeploymentStrategyType
	// fast is the StatefulSingleton's spec.fastHandOver; "" means no StatefulSingleton.
	fast singletonv1.FastHandOver
	// command says whether the application container sets command (the gate wraps it, and
	// may supervise it) or neither command nor args (the image's ENTRYPOINT is the application).
	command bool
	// image is the application's image (benchApp): one the operator reads from the suite's
	// registry, which it then wraps as a container with a command, or one it cannot read, whose
	// container without a command it holds with the native sidecar.
	image string
}

type benchResult struct {
	name        string
	gaps        []time.Duration // new application started - old one stopped; negative is an overlap
	transitions []time.Duration // rollout requested -> only the new pod left, Ready
	// The parts of each gap under a StatefulSingleton (podMoments.gapParts).
	releases, starts, reports []time.Duration
	// stalled says which rollout did not finish, ending the row early; empty when all did.
	stalled string
	// supervision is the webhook's fast-hand-over annotation on the first pod, and gateProofs
	// the number of hand-overs whose old pod was confirmed stopped on its gates' word.
	supervision string
	gateProofs  int
}

// measureRollouts runs n rollouts of a one-replica Deployment whose application reports to a
// ledger, and returns the gaps between consecutive runs and the transition times.
func measureRollouts(ctx context.Context, c benchCase, n int) benchResult {
	book := startLedger()
	ns := newRestrictedNamespace(ctx)
	var moments *podMoments
	if c.fast != "" {
		createSingleton(ctx, ns, "bench", func(ss *singletonv1.StatefulSingleton) { ss.Spec.FastHandOver = c.fast })
		moments = watchPodMoments(ctx, ns)
	}
	app := restrictedContainer("bench")
	app.Image = c.image
	app.Env = []corev1.EnvVar{{Name: "LEDGER", Value: book.URL}}
	if c.command {
		app.Command = []string{"/app"}
	}
	d := deployment(ns, "bench", app)
	d.Spec.Strategy.Type = c.strategy
	Expect(k8s.Create(ctx, d)).To(Succeed())
	current := waitForOnlyPodReady(ctx, ns, "bench", "")

	result := benchResult{name: c.name, supervision: current.Annotations[singletonv1.AnnotationFastHandOver]}
	for i := range n {
		start := time.Now()
		restartRollout(ctx, d)
		var next corev1.Pod
		// A rollout that does not finish ends the row with the figures of those before it, and
		// the table says so, instead of losing the whole run.
		if err := InterceptGomegaFailure(func() {
			next = waitForOnlyPodReady(ctx, ns, "bench", current.UID)
			Eventually(func() error {
				return k8s.Get(ctx, client.ObjectKeyFromObject(&current), &corev1.Pod{})
			}).WithContext(ctx).Should(MatchError(ContainSubstring("not found")), "the old pod is gone")
		}); err != nil {
			result.stalled = fmt.Sprintf("rollout %d of %d did not finish: %s", i+1, n,
				strings.SplitN(err.Error(), "\n", 2)[0])
			break
		}
		result.transitions = append(result.transitions, time.Since(start))
		current = next
	}
	done := len(result.transitions)
	if result.stalled == "" {
		Eventually(book.Runs).Should(HaveLen(n+1), "every rollout started the application once")
	}
	runs := book.Runs()
	slices.SortFunc(runs, func(a, b interval) int { return a.Start.Compare(b.Start) })
	for i := 1; i < len(runs) && i <= done; i++ {
		result.gaps = append(result.gaps, runs[i].Start.Sub(runs[i-1].Stop))
		if moments == nil {
			continue
		}
		release, start, report, reported, ok := moments.gapParts(runs[i-1], runs[i])
		if ok {
			result.releases = append(result.releases, release)
			result.starts = append(result.starts, start)
		}
		if reported {
			result.reports = append(result.reports, report)
		}
	}
	if c.fast != "" {
		events := &corev1.EventList{}
		Expect(k8s.List(ctx, events, client.InNamespace(ns))).To(Succeed())
		for i := range events.Items {
			if e := &events.Items[i]; e.Reason == "StopReportedByGate" {
				result.gateProofs += max(int(e.Count), 1)
			}
		}
	}
	return result
}

// formatBench prints the number of hand-overs measured, p50 / p95 / max of the gaps and
// transition times, the overlaps, and the ratio of each median gap to Recreate's, measured in
// the same run, and the rows a stalled rollout ended early.
func formatBench(results []benchResult, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "hand-over benchmark: %d rollouts each, one-replica Deployment, app exits on TERM\n", n)
	fmt.Fprintf(&b, "%-46s %4s %10s %10s %10s %10s %10s %10s %9s %14s\n", "workload", "n",
		"gap p50", "gap p95", "gap max", "total p50", "total p95", "total max", "overlaps", "gap/Recreate")
	var recreate time.Duration
	for i := range results {
		if results[i].name == recreateRow {
			recreate = percentile(results[i].gaps, 50)
		}
	}
	for i := range results {
		r := &results[i]
		overlaps := 0
		for _, g := range r.gaps {
			if g < 0 {
				overlaps++
			}
		}
		fmt.Fprintf(&b, "%-46s %4d %10s %10s %10s %10s %10s %10s %9d %14.2f\n", r.name, len(r.gaps),
			ms(percentile(r.gaps, 50)), ms(percentile(r.gaps, 95)), ms(percentile(r.gaps, 100)),
			ms(percentile(r.transitions, 50)), ms(percentile(r.transitions, 95)), ms(percentile(r.transitions, 100)),
			overlaps, float64(percentile(r.gaps, 50))/float64(recreate))
	}
	for i := range results {
		if r := &results[i]; r.stalled != "" {
			fmt.Fprintf(&b, "%s: %s (its figures are those of the rollouts before)\n", r.name, r.stalled)
		}
	}
	for i := range results {
		r := &results[i]
		if len(r.releases) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s: where the gap goes (p50 / p95 / max, %d hand-overs; pods %q, %d stopped on their gates' word)\n",
			r.name, len(r.releases), r.supervision, r.gateProofs)
		for _, part := range []struct {
			name string
			ds   []time.Duration
		}{
			{"old app stopped -> operator has released the new pod (status or annotation seen)", r.releases},
			{"-> new app started (pushed or downward API file, gate)", r.starts},
			{fmt.Sprintf("(old app stopped -> kubelet reports its containers terminated: %d seen)", len(r.reports)), r.reports},
		} {
			fmt.Fprintf(&b, "  %-72s %8s %8s %8s\n", part.name,
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
