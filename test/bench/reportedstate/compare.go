package main

import (
	"fmt"
	"time"
)

// controllerFigures are the figures the comparison puts side by side for one controller.
type controllerFigures struct {
	sync    time.Duration
	steps   []stepResult
	peakRSS int64
	restart restartResult
}

// changing are the steps that changed objects' reported state.
func (f controllerFigures) changing() []stepResult {
	var out []stepResult
	for _, s := range f.steps {
		if s.kind == changing {
			out = append(out, s)
		}
	}
	return out
}

// saturation is the most changes per second landed in a step.
func (f controllerFigures) saturation() float64 {
	best := 0.0
	for _, s := range f.changing() {
		best = max(best, s.landedPerSecond())
	}
	return best
}

// cpuPerChange is the controller's CPU time over the changing steps (and their drains) per
// change that landed.
func (f controllerFigures) cpuPerChange() time.Duration {
	var cpu time.Duration
	landed := 0
	for _, s := range f.changing() {
		cpu += s.phase().cpu(s.role)
		landed += len(s.stats.lags)
	}
	if landed == 0 {
		return 0
	}
	return cpu / time.Duration(landed)
}

func (r *report) printComparison(p func(string, ...any)) {
	if r.ks == nil || r.ks.sync.took == 0 {
		return
	}
	op := controllerFigures{sync: r.sync.took, steps: r.steps, peakRSS: r.operator.HWM, restart: r.opRestart}
	ks := controllerFigures{sync: r.ks.sync.took, steps: r.ks.steps, peakRSS: r.ks.proc.HWM, restart: r.ks.restart}
	p("")
	p("the operator against KubeStellar v0.30's controller-manager (status and binding controllers, one process,")
	p("client limits %d requests/s, burst %d), each alone under the same stream (changes to singleton objects)",
		r.cfg.ksQPS, 2*r.cfg.ksQPS)
	p("%-42s %14s %14s %9s", "", "operator", "KubeStellar", "op / KS")
	row := func(what string, a, b float64, unit string) {
		ratio := "-"
		if b != 0 {
			ratio = fmt.Sprintf("%.2f", a/b)
		}
		p("%-42s %14s %14s %9s", what, fmt.Sprintf("%.1f %s", a, unit), fmt.Sprintf("%.1f %s", b, unit), ratio)
	}
	row("first full sync", op.sync.Seconds(), ks.sync.Seconds(), "s")
	oc, kc := op.changing(), ks.changing()
	for i := 0; i < len(oc) && i < len(kc); i++ {
		name := rateName(oc[i].rate)
		row("lag p50 at "+name, msf(percentile(oc[i].stats.lags, 50)), msf(percentile(kc[i].stats.lags, 50)), "ms")
		row("lag p99 at "+name, msf(percentile(oc[i].stats.lags, 99)), msf(percentile(kc[i].stats.lags, 99)), "ms")
		row("landed at "+name, oc[i].landedPerSecond(), kc[i].landedPerSecond(), "/s")
	}
	row("landed at saturation (best step)", op.saturation(), ks.saturation(), "/s")
	row("CPU per landed change (changing steps)", msf(op.cpuPerChange()), msf(ks.cpuPerChange()), "ms")
	row("peak RSS (VmHWM, before the restart)", float64(op.peakRSS)/(1<<20), float64(ks.peakRSS)/(1<<20), "MiB")
	printRestart(p, "the operator", op.restart)
	printRestart(p, "KubeStellar", ks.restart)
}

// printRestart says what a controller did after its restart.
func printRestart(p func(string, ...any), name string, res restartResult) {
	if !res.ran {
		return
	}
	p("restart of %s with every status landed, watched %s: WDS writes %.0f, objects seen losing their status "+
		"%d, most objects wrong at once %d, %s; CPU %.1f s", name, res.window, res.writes, res.cleared,
		res.mostWrong, rightAgain(res), res.cpu.Seconds())
	if res.wrongBefore > 0 {
		p("  (%d objects were not right before the restart:%s)", res.wrongBefore, res.wrongBeforeWhat)
	}
	if res.wrongAfter != "" {
		p("  still wrong at the end:%s", res.wrongAfter)
	}
}

func rightAgain(r restartResult) string {
	switch {
	case r.rightAgain < 0:
		return "not all right again within the window and 2 minutes more"
	case r.rightAgain == 0:
		return "none ever wrong"
	default:
		return fmt.Sprintf("all right again %.1f s after the start", r.rightAgain.Seconds())
	}
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
