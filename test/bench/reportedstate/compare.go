package main

import (
	"fmt"
	"strings"
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
	for i := range f.steps {
		if f.steps[i].kind == changing {
			out = append(out, f.steps[i])
		}
	}
	return out
}

// saturation is the most changes per second landed in a step.
func (f controllerFigures) saturation() float64 {
	best := 0.0
	steps := f.changing()
	for i := range steps {
		best = max(best, steps[i].landedPerSecond())
	}
	return best
}

// cpuPerChange is the controller's CPU time over the changing steps (and their drains) per
// change that landed.
func (f controllerFigures) cpuPerChange() time.Duration {
	var cpu time.Duration
	landed := 0
	steps := f.changing()
	for i := range steps {
		s := &steps[i]
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
	p("and the trivial relay (relay.go: a client-go watch and a merge patch per change, nothing else) under the same")
	p("stream: at the lowest rates its lag is that of the path every relay takes (two writes, two watches)")
	p("%-42s %14s %14s %9s %14s", "", "operator", "KubeStellar", "op / KS", "trivial relay")
	row := func(what string, a, b float64, unit string, floor ...float64) {
		ratio := "-"
		if b != 0 {
			ratio = fmt.Sprintf("%.2f", a/b)
		}
		f := ""
		if len(floor) > 0 {
			f = fmt.Sprintf("%.1f %s", floor[0], unit)
		}
		p("%s", strings.TrimRight(fmt.Sprintf("%-42s %14s %14s %9s %14s", what, fmt.Sprintf("%.1f %s", a, unit),
			fmt.Sprintf("%.1f %s", b, unit), ratio, f), " "))
	}
	row("first full sync", op.sync.Seconds(), ks.sync.Seconds(), "s")
	oc, kc := op.changing(), ks.changing()
	for i := 0; i < len(oc) && i < len(kc); i++ {
		name := rateName(oc[i].rate)
		var rl *stepResult
		for j := range r.relay {
			if r.relay[j].rate == oc[i].rate {
				rl = &r.relay[j]
			}
		}
		// relayFigure is the relay's figure at this rate, none when it did not run at it.
		relayFigure := func(of func(*stepResult) float64) []float64 {
			if rl == nil {
				return nil
			}
			return []float64{of(rl)}
		}
		for _, pct := range []float64{50, 99} {
			lag := func(s *stepResult) float64 { return msf(percentile(s.stats.lags, pct)) }
			row(fmt.Sprintf("lag p%.0f at %s", pct, name), lag(&oc[i]), lag(&kc[i]), "ms", relayFigure(lag)...)
		}
		landed := (*stepResult).landedPerSecond
		row("landed at "+name, landed(&oc[i]), landed(&kc[i]), "/s", relayFigure(landed)...)
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

// printCombined puts the controllers' combined-status phases side by side.
func (r *report) printCombined(p func(string, ...any)) {
	op := r.opCombined
	if op == nil {
		return
	}
	var ks *combinedReport
	if r.ks != nil {
		ks = r.ks.combined
	}
	p("")
	p("combined status: a StatusCollector (COUNT of WECs and SUM of collisionCount, grouped by readyReplicas) named by")
	p("every object's downsync Binding, %d objects x %d WECs; lag = ITS WorkStatus patch sent -> the driver's watch of",
		r.cfg.w.objects, r.cfg.w.wecs)
	p("the CombinedStatus shows the new sum (a WEC whose report does not change the object's reported state)")
	p("%-31s %10s %10s %10s %9s | %10s %10s %10s %9s | %8s", "", "op p50 ms", "op p99 ms", "op lnd/s", "op cores",
		"KS p50 ms", "KS p99 ms", "KS lnd/s", "KS cores", "p99 op/KS")
	line := func(what string, a *stepResult, b *stepResult) {
		cols := func(s *stepResult) string {
			if s == nil {
				return fmt.Sprintf("%10s %10s %10s %9s", "-", "-", "-", "-")
			}
			return fmt.Sprintf("%10s %10s %10.0f %9.2f", ms(percentile(s.stats.lags, 50)),
				ms(percentile(s.stats.lags, 99)), s.landedPerSecond(), s.phase().cores(s.role))
		}
		ratio := "-"
		if a != nil && b != nil && percentile(b.stats.lags, 99) > 0 {
			ratio = fmt.Sprintf("%.3f", float64(percentile(a.stats.lags, 99))/float64(percentile(b.stats.lags, 99)))
		}
		p("%-31s %s | %s | %8s", what, cols(a), cols(b), ratio)
	}
	for i := range op.steps {
		var k *stepResult
		if ks != nil && i < len(ks.steps) {
			k = &ks.steps[i]
		}
		s := &op.steps[i]
		line(fmt.Sprintf("changes at %s (sent %.0f/s)", rateName(s.rate), s.sentPerSecond()), s, k)
	}
	sync := func(c *combinedReport) string {
		if c == nil {
			return "-"
		}
		gone := fmt.Sprintf("all gone %.1f s after the collector's deletion", c.gone.Seconds())
		if c.left > 0 {
			gone = fmt.Sprintf("%d left 30 s after the collector's deletion", c.left)
		}
		unl := 0
		for i := range c.steps {
			unl += c.steps[i].unlanded
		}
		return fmt.Sprintf("first full sync %.1f s from the collector's creation; %d changes unlanded; %s",
			c.sync.Seconds(), unl, gone)
	}
	p("operator:    %s", sync(op))
	p("KubeStellar: %s", sync(ks))
}
