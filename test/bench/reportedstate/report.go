package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"time"
)

// phase is a measured stretch of the run between two samples.
type phase struct {
	took          time.Duration
	before, after sample
}

func (p phase) wdsWrites() float64  { return p.after.wdsWrites - p.before.wdsWrites }
func (p phase) op() opMetrics       { return p.after.op.minus(p.before.op) }
func (p phase) events() float64     { return float64(p.after.watchEvents - p.before.watchEvents) }
func (p phase) wall() time.Duration { return p.after.at.Sub(p.before.at) }
func (p phase) cpu(role string) time.Duration {
	return p.after.cpu[role] - p.before.cpu[role]
}

// wdsWriteRate is the WDS API server's write requests on deployments per second of the phase.
func (p phase) wdsWriteRate() float64 { return p.wdsWrites() / p.wall().Seconds() }

// cores is a process's CPU time over the phase's wall time.
func (p phase) cores(role string) float64 { return p.cpu(role).Seconds() / p.wall().Seconds() }

// stepResult is one step of the update stream.
type stepResult struct {
	name string
	// role is the controller's process role (empty for the relay).
	role     string
	kind     stepKind
	rate     float64
	load     string
	before   sample
	after    sample
	sent     streamed
	stats    *stepStats
	unlanded int
	hwm      int64
	// limit is the trivial client's rate measured just before the step.
	limit *baselineResult
}

func (s stepResult) phase() phase { return phase{before: s.before, after: s.after} }

// landedPerSecond is the changes the WDS showed within the step's window, per second.
func (s stepResult) landedPerSecond() float64 {
	return float64(s.stats.inWindow) / s.sent.sendTook.Seconds()
}

func (s stepResult) limitRate() float64 {
	if s.limit == nil {
		return 0
	}
	return s.limit.rate()
}

func (s stepResult) sentPerSecond() float64 { return float64(s.sent.sent) / s.sent.sendTook.Seconds() }

// keptUp: every change landed, within the window at the rate it was sent, with p99 under 1 s.
func (s stepResult) keptUp() bool {
	return s.unlanded == 0 && s.sent.failed == 0 && s.landedPerSecond() >= 0.95*s.sentPerSecond() &&
		percentile(s.stats.lags, 99) < time.Second
}

// report is everything the run measured.
type report struct {
	cfg        config
	cpus       int
	loadStart  string
	loadEnd    string
	bindings   int
	creations  []creation
	baselines  []baselineResult
	sync       phase
	syncMemory procSample
	syncHeap   float64
	idle       phase
	steps      []stepResult
	// relay are the trivial relay's steps (relay.go), one at each rate, the operator stopped.
	relay    []stepResult
	operator procSample
	// operatorHeap is the operator's Go heap in use at the end (go_memstats_heap_inuse_bytes).
	operatorHeap float64
	// operatorCPU is the operator's CPU time over its whole life.
	operatorCPU time.Duration
	opRestart   restartResult
	opCombined  *combinedReport
	// ks is KubeStellar's controller-manager, if measured.
	ks       *ctlReport
	profiles []profile
	notes    []string
}

func (r *report) print(out io.Writer) {
	p := func(format string, args ...any) { _, _ = fmt.Fprintf(out, format+"\n", args...) }
	w := r.cfg.w
	p("reported-state benchmark: %d Deployments x %d WECs = %d WorkStatus objects (%d multi-WEC, %d singleton), "+
		"%d Bindings", w.objects, w.wecs, w.objects*w.wecs, (w.objects+1)/2, w.objects/2, r.bindings)
	p("machine: %d CPUs; load average at start %s, at end %s", r.cpus, r.loadStart, r.loadEnd)
	p("")
	for _, c := range r.creations {
		p("created %-45s %8.1f s  %7.0f requests/s", c.what, c.took.Seconds(), float64(c.requests)/c.took.Seconds())
	}
	p("")
	p("physical limit: a trivial client writing deployments/status in the WDS, closed loop")
	p("%-30s %11s %10s %8s %8s %7s", "request", "concurrency", "writes/s", "p50 ms", "p99 ms", "errors")
	for i, b := range r.baselines {
		when := ""
		if i >= 3 {
			when = " (after)"
		}
		p("%-30s %11d %10.0f %8s %8s %7d", string(b.kind)+when, b.concurrency, b.rate(),
			ms(percentile(b.latency, 50)), ms(percentile(b.latency, 99)), b.failed)
		if b.firstErr != nil {
			p("  first error: %v", b.firstErr)
		}
	}
	r.printSync(p)
	r.printSteps(p)
	r.printHeadline(p)
	if r.ks == nil {
		printRestart(func(f string, a ...any) { p("  "+f, a...) }, "the operator", r.opRestart)
	}
	r.printComparison(p)
	r.printCombined(p)
	r.printProfiles(p)
	for _, n := range r.notes {
		p("note: %s", n)
	}
}

func (r *report) printSync(p func(string, ...any)) {
	if r.sync.took == 0 {
		return
	}
	w := r.cfg.w
	p("")
	p("first full sync: %.1f s from the operator's start to all %d objects showing their reported state",
		r.sync.took.Seconds(), w.objects)
	p("  WDS writes %.0f (%.2f per object), operator CPU %.1f s, RSS %s (peak %s), Go heap in use %s",
		r.sync.wdsWrites(), r.sync.wdsWrites()/float64(w.objects), r.sync.cpu(roleOperator).Seconds(),
		mib(r.syncMemory.RSS), mib(r.syncMemory.HWM), mib(int64(r.syncHeap)))
	p("idle %.0f s after it: WDS writes %.0f, operator CPU %.2f s", r.idle.wall().Seconds(), r.idle.wdsWrites(),
		r.idle.cpu(roleOperator).Seconds())
}

func (r *report) printSteps(p func(string, ...any)) {
	if len(r.steps) == 0 {
		return
	}
	p("")
	p("update stream (%s steps; lag = ITS status patch sent -> the driver's WDS watch shows the value)", r.cfg.step)
	p("%-12s %7s %7s %8s %7s %7s %7s %8s %7s %8s %8s %8s %8s %8s %8s %8s %6s %6s %6s %6s %6s %9s %s",
		"step", "offered", "sent/s", "landed/s", "p50 ms", "p99 ms", "max ms", "unlanded", "superse",
		"WDSw/s", "WDSw/upd", "events/u", "reconc/u", "queue ms", "work ms", "limit/s",
		"op", "wdsAPI", "itsAPI", "etcd", "driver", "peak RSS", "load")
	rows := slices.Clone(r.steps)
	rows = append(rows, r.relay...)
	if r.ks != nil {
		rows = append(rows, r.ks.steps...)
	}
	for i := range rows {
		s := &rows[i]
		ph := s.phase()
		n := float64(len(s.stats.lags))
		if s.kind == unchanged {
			n = float64(s.sent.sent)
		}
		op := ph.op()
		p("%-12s %7s %7.0f %8.0f %7s %7s %7s %8d %7d %8.0f %8.3f %8.3f %8.2f %8s %8s %8.0f "+
			"%6.2f %6.2f %6.2f %6.2f %6.2f %9s %s",
			s.name, rateName(s.rate), s.sentPerSecond(), s.landedPerSecond(),
			ms(percentile(s.stats.lags, 50)), ms(percentile(s.stats.lags, 99)), ms(percentile(s.stats.lags, 100)),
			s.unlanded, s.stats.superseded, ph.wdsWriteRate(), ph.wdsWrites()/n, ph.events()/n,
			op.reconciles/n, ms(mean(op.queueSum, op.queueCount)), ms(mean(op.workSum, op.workCount)),
			s.limitRate(),
			ph.cores(s.role), ph.cores(roleWDS), ph.cores(roleITS), ph.cores(roleWDSEtcd)+ph.cores(roleITSEtcd),
			ph.cores(roleDriver), mib(s.hwm), s.load)
	}
	p("columns: WDSw/s = the WDS API server's write requests on deployments per second over the step and its")
	p("drain; WDSw/upd = the same per landed change (per update for 'unchanged'); events/u = WDS watch MODIFIED")
	p("events per landed change; reconc/u = operator reconciles per landed change (update); queue, work ms")
	p("= the operator's mean time of an object in its work queue and of a reconcile (its own metrics); limit/s =")
	p("the trivial client's merge patches/s on other Deployments just before the step (operator idle);")
	p("op, wdsAPI, itsAPI, etcd, driver = CPU cores used by the controller (ks- rows: KubeStellar's), the two")
	p("kube-apiservers, both etcds, this driver; relay = the trivial relay (relay.go) instead of the operator,")
	p("which is stopped (its CPU counts as")
	p("the driver's)")
}

func (r *report) printHeadline(p func(string, ...any)) {
	var limit, sat float64
	if len(r.baselines) > 0 {
		limit = r.baselines[0].rate()
	}
	var sustained, best *stepResult
	for i := range r.steps {
		s := &r.steps[i]
		if s.kind != changing {
			continue
		}
		if s.landedPerSecond() > sat {
			sat, best = s.landedPerSecond(), s
		}
		if s.keptUp() && (sustained == nil || s.sentPerSecond() > sustained.sentPerSecond()) {
			sustained = s
		}
	}
	p("")
	p("headline")
	if limit > 0 {
		p("  physical limit (merge patch of status, %d clients): %.0f writes/s", r.cfg.budget, limit)
		p("  operator saturation (most changes/s landed in a step): %.0f/s = %.2f x the physical limit", sat, sat/limit)
		if best != nil && best.limitRate() > 0 {
			p("  the same against the limit measured just before that step (%.0f writes/s): %.2f", best.limitRate(),
				sat/best.limitRate())
		}
	}
	if relay := r.relayBusiest(); relay != nil && limit > 0 && best != nil {
		// Both fall behind at these rates: compare what each wrote over its step and drain.
		rl, op := relay.phase().wdsWriteRate(), best.phase().wdsWriteRate()
		p("  trivial relay (the most this machine carries from the ITS to the WDS, operator stopped): %.0f writes/s "+
			"over its step and drain = %.2f x the physical limit; the operator's step above: %.0f writes/s = %.2f x the relay",
			rl, rl/limit, op, op/rl)
	}
	if sustained != nil {
		p("  highest rate kept up (all landed, p99 < 1 s): %.0f/s, lag p50 %s ms, p99 %s ms", sustained.sentPerSecond(),
			ms(percentile(sustained.stats.lags, 50)), ms(percentile(sustained.stats.lags, 99)))
	}
	p("  operator: CPU %.1f s over its life, peak RSS (VmHWM) %s, RSS at the end %s, Go heap in use %s; "+
		"container memory limit it was told of: %s", r.operatorCPU.Seconds(), mib(r.operator.HWM), mib(r.operator.RSS),
		mib(int64(r.operatorHeap)), cmp.Or(r.cfg.memoryLimit, "none"))
}

// relayBusiest is the trivial relay's step that wrote the most per second over its step and
// drain: its saturation.
func (r *report) relayBusiest() *stepResult {
	var best *stepResult
	for i := range r.relay {
		if best == nil || r.relay[i].phase().wdsWriteRate() > best.phase().wdsWriteRate() {
			best = &r.relay[i]
		}
	}
	return best
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
