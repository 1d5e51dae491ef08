package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// roles are the processes whose CPU time is sampled.
const (
	roleOperator = "operator"
	roleWDS      = "wds-apiserver"
	roleWDSEtcd  = "wds-etcd"
	roleITS      = "its-apiserver"
	roleITSEtcd  = "its-etcd"
	roleDriver   = "driver"
)

// bench is one run: the servers, the processes and the driver's state.
type bench struct {
	cfg      config
	wds, its *server
	pids     map[string]int
	op       *operator
	tr       *tracker
}

// sample reads the processes' CPU times and the API servers' write counters.
func (b *bench) sample(ctx context.Context) sample {
	s := sample{at: time.Now(), cpu: map[string]time.Duration{}}
	for role, pid := range b.pids {
		s.cpu[role] = readProc(pid).CPU
	}
	s.wdsWrites, _ = requestCount(ctx, b.wds.cs, "deployments")
	s.itsWrites, _ = requestCount(ctx, b.its.cs, "workstatuses")
	if b.tr != nil {
		s.watchEvents = b.tr.modifications()
	}
	if b.op != nil {
		s.op = operatorMetrics(ctx, b.op.metricsURL)
	}
	return s
}

func run(ctx context.Context, cfg config, out io.Writer) error {
	dir, err := os.MkdirTemp("", "rsbench-")
	if err != nil {
		return err
	}
	if cfg.keep {
		logf("work directory %s", dir)
	} else {
		defer func() { _ = os.RemoveAll(dir) }()
	}
	ksDir, err := kubestellarCRDs()
	if err != nil {
		return err
	}
	logf("building the operator (cmd/main.go)")
	bin, err := buildOperator(ctx, dir)
	if err != nil {
		return err
	}
	logf("starting the WDS and the ITS")
	b := &bench{cfg: cfg, pids: map[string]int{roleDriver: os.Getpid()}}
	if b.wds, err = startServer("wds", "config/crd/bases", ksDir); err != nil {
		return err
	}
	defer func() { _ = b.wds.Stop() }()
	if b.its, err = startServer("its", "config/kubestellar"); err != nil {
		return err
	}
	defer func() { _ = b.its.Stop() }()
	b.pids[roleWDS], b.pids[roleWDSEtcd] = b.wds.pids()
	b.pids[roleITS], b.pids[roleITSEtcd] = b.its.pids()
	r := &report{cfg: cfg, loadStart: load(), cpus: runtime.NumCPU()}
	defer func() { r.print(out) }()
	return b.measure(ctx, dir, bin, r)
}

// measure runs the phases in order, filling r.
func (b *bench) measure(ctx context.Context, dir, bin string, r *report) error {
	w := b.cfg.w
	logf("creating %d objects x %d WECs", w.objects, w.wecs)
	var err error
	if r.creations, err = create(ctx, w, b.wds, b.its, b.cfg.concurrency); err != nil {
		return err
	}
	r.bindings = len(w.bindings())
	b.tr = newTracker(w)
	synced := make(chan struct{})
	go b.tr.run(ctx, b.wds, synced)
	<-synced

	logf("measuring the physical limit (trivial client, operator not running)")
	for _, k := range []struct {
		kind        baselineKind
		concurrency int
	}{{mergePatch, b.cfg.budget}, {applyStatus, b.cfg.budget}, {mergePatch, 4 * b.cfg.budget}} {
		r.baselines = append(r.baselines, baseline(ctx, w, b.wds, workloadNS, k.kind, k.concurrency, b.cfg.baseline))
	}

	if err := configureOperator(ctx, b.wds, b.its); err != nil {
		return err
	}
	logf("starting the operator")
	if b.op, err = startOperator(bin, dir, b.wds, b.cfg.budget, b.cfg.memoryLimit); err != nil {
		return err
	}
	b.pids[roleOperator] = b.op.pid()
	stopped := false
	defer func() {
		if !stopped {
			_ = b.op.stop()
		}
	}()
	if err := b.firstSync(ctx, r); err != nil {
		return err
	}
	b.idle(ctx, r)
	profDir := dir
	if b.cfg.out != "" {
		profDir = filepath.Dir(b.cfg.out)
	}
	r.profiles = append(r.profiles, takeHeapProfile(ctx, b.op.pprofURL, profDir, "after the first sync"))

	logf("unchanged updates at %.0f/s", b.cfg.unchanged)
	s := &stream{w: w, its: b.its, tr: b.tr, writers: b.cfg.writers}
	step, _ := b.step(ctx, s, "unchanged", unchanged, b.cfg.unchanged, nil)
	r.steps = append(r.steps, step)
	for i, rate := range b.cfg.rates {
		logf("changes at %s", rateName(rate))
		var cpu func() profile
		if i == len(b.cfg.rates)-1 {
			// Where the operator's CPU goes at the last (highest) rate.
			cpu = func() profile {
				return takeCPUProfile(ctx, b.op.pprofURL, profDir, "during the last step", b.cfg.step)
			}
		}
		step, prof := b.step(ctx, s, "changes", changing, rate, cpu)
		r.steps = append(r.steps, step)
		if cpu != nil {
			r.profiles = append(r.profiles, prof)
		}
	}
	r.operator = readProc(b.op.pid())
	r.operatorHeap = operatorMetrics(ctx, b.op.metricsURL).heapInuse
	r.profiles = append(r.profiles, takeHeapProfile(ctx, b.op.pprofURL, profDir, "at the end"))
	r.operatorCPU = r.operator.CPU
	stopped = true
	if err := b.op.stop(); err != nil {
		r.notes = append(r.notes, err.Error())
	}
	logf("measuring the physical limit again, operator stopped")
	r.baselines = append(r.baselines, baseline(ctx, w, b.wds, workloadNS, mergePatch, b.cfg.budget, b.cfg.baseline))
	logf("the trivial relay, operator stopped, changes as fast as the driver goes")
	if rl, err := startRelay(ctx, b.wds, b.its, b.cfg.budget); err != nil {
		r.notes = append(r.notes, "the trivial relay did not start: "+err.Error())
	} else {
		step, _ := b.step(ctx, s, "relay", changing, 0, nil)
		r.notes = append(r.notes, "the trivial relay "+rl.stop())
		r.relay = &step
	}
	r.loadEnd = load()
	return ctx.Err()
}

// firstSync waits until every object shows its reported state, from the operator's start.
func (b *bench) firstSync(ctx context.Context, r *report) error {
	before := b.sample(ctx)
	deadline := time.Now().Add(30 * time.Minute)
	for b.tr.correct() < b.cfg.w.objects {
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("first sync incomplete: %d of %d objects right;%s", b.tr.correct(), b.cfg.w.objects,
				b.tr.describe(5))
		}
		select {
		case err := <-b.op.exited:
			return fmt.Errorf("the operator exited during the first sync: %w", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	r.sync = phase{took: time.Since(b.op.started), before: before, after: b.sample(ctx)}
	r.syncMemory = readProc(b.op.pid())
	r.syncHeap = r.sync.after.op.heapInuse
	logf("first full sync after %s", r.sync.took.Round(time.Millisecond))
	return nil
}

// idle measures the writes while nothing changes.
func (b *bench) idle(ctx context.Context, r *report) {
	before := b.sample(ctx)
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
	}
	r.idle = phase{took: 5 * time.Second, before: before, after: b.sample(ctx)}
}

// step runs one step of the stream and waits until its changes land (or a drain timeout);
// during, if any, runs while the stream does (a profile of the operator).
func (b *bench) step(ctx context.Context, s *stream, name string, kind stepKind, rate float64,
	during func() profile,
) (stepResult, profile) {
	st := &stepStats{}
	res := stepResult{name: name, kind: kind, rate: rate, stats: st, load: load()}
	if kind == changing {
		// The physical limit now, while the operator idles: the trivial client on Deployments no
		// Binding names.
		limit := baseline(ctx, b.cfg.w, b.wds, limitNS, mergePatch, b.cfg.budget, b.cfg.baseline/2)
		res.limit = &limit
		time.Sleep(time.Second)
	}
	res.before = b.sample(ctx)
	profiled := make(chan profile, 1)
	if during != nil {
		go func() { profiled <- during() }()
	} else {
		close(profiled)
	}
	res.sent = s.run(ctx, kind, rate, b.cfg.step, st)
	drain := time.Now().Add(max(10*time.Second, 2*b.cfg.step))
	if kind == unchanged {
		drain = time.Now().Add(3 * time.Second)
	}
	for time.Now().Before(drain) && ctx.Err() == nil && (kind == unchanged || b.tr.outstanding() > 0) {
		time.Sleep(50 * time.Millisecond)
	}
	res.unlanded = b.tr.forget()
	res.after = b.sample(ctx)
	res.hwm = readProc(b.op.pid()).HWM
	// Let the WDS and the operator settle before the next step.
	time.Sleep(2 * time.Second)
	return res, <-profiled
}

func rateName(rate float64) string {
	if rate == 0 {
		return "max"
	}
	return fmt.Sprintf("%.0f/s", rate)
}
