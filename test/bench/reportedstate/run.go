package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/singleton-operator/singleton-operator/test/framework"
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
	// op is the controller running now, ctl its role (roleOperator or roleKubeStellar).
	op  *operator
	ctl string
	tr  *tracker
	ct  *combinedTracker
	seq *stream
}

// sample reads the processes' CPU times and the API servers' write counters.
func (b *bench) sample(ctx context.Context) sample {
	s := sample{at: time.Now(), cpu: map[string]time.Duration{}}
	for role, pid := range b.pids {
		s.cpu[role] = readProc(pid).CPU
	}
	s.wdsWrites, _ = requestCount(ctx, b.wds.cs, resourceDeployments)
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
	ksDir, err := framework.ModuleDir("github.com/kubestellar/kubestellar", "config", "crd", "bases")
	if err != nil {
		return err
	}
	// The WDS doubles as KubeFlex's hosting cluster (ControlPlane objects), the ITS holds OCM's
	// ManagedClusters: both for KubeStellar's controller-manager.
	kfDir, err := downloadedModuleDir(ctx, kubeflexModule, "config", "crd", "bases")
	if err != nil {
		return err
	}
	ocmDir, err := framework.ModuleDir("open-cluster-management.io/api", "cluster", "v1")
	if err != nil {
		return err
	}
	logf("building the operator (cmd/main.go)")
	bin, err := buildOperator(ctx, dir)
	if err != nil {
		return err
	}
	ksBin := ""
	if cfg.kubestellar {
		if ksBin, err = buildKubeStellar(ctx); err != nil {
			return err
		}
	}
	logf("starting the WDS and the ITS")
	b := &bench{cfg: cfg, pids: map[string]int{roleDriver: os.Getpid()}}
	if b.wds, err = startServer("wds", "config/crd/bases", ksDir, kfDir); err != nil {
		return err
	}
	defer func() { _ = b.wds.Stop() }()
	if b.its, err = startServer("its", "config/kubestellar", ocmDir); err != nil {
		return err
	}
	defer func() { _ = b.its.Stop() }()
	b.pids[roleWDS], b.pids[roleWDSEtcd] = b.wds.pids()
	b.pids[roleITS], b.pids[roleITSEtcd] = b.its.pids()
	r := &report{cfg: cfg, loadStart: load(), cpus: runtime.NumCPU()}
	defer func() { r.print(out) }()
	if err := b.measure(ctx, dir, bin, r); err != nil {
		return err
	}
	if cfg.kubestellar {
		if err := b.kubestellar(ctx, dir, ksBin, r); err != nil {
			return err
		}
	}
	r.loadEnd = load()
	return ctx.Err()
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
	if err := b.prepareBaseline(ctx); err != nil {
		return err
	}

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
	start := func() (*operator, error) { return startOperator(bin, dir, b.wds, b.cfg.budget, b.cfg.memoryLimit) }
	if b.op, err = start(); err != nil {
		return err
	}
	b.ctl = roleOperator
	b.pids[roleOperator] = b.op.pid()
	stopped := false
	defer func() {
		if !stopped {
			_ = b.op.stop()
		}
	}()
	if r.sync, err = b.firstSync(ctx); err != nil {
		return err
	}
	r.syncMemory = readProc(b.op.pid())
	r.syncHeap = r.sync.after.op.heapInuse
	r.idle = b.idle(ctx)
	profDir := dir
	if b.cfg.out != "" {
		profDir = filepath.Dir(b.cfg.out)
	}
	r.profiles = append(r.profiles, takeHeapProfile(ctx, b.op.pprofURL, profDir, "after the first sync"))

	// Where the operator's CPU goes at the last (highest) rate.
	cpu := func() profile {
		return takeCPUProfile(ctx, b.op.pprofURL, profDir, "during the last step", b.cfg.step)
	}
	if b.cfg.reportedSteps {
		var prof profile
		r.steps, prof = b.stream(ctx, "", cpu)
		r.profiles = append(r.profiles, prof)
	}
	r.operator = readProc(b.op.pid())
	r.operatorHeap = operatorMetrics(ctx, b.op.metricsURL).heapInuse
	r.profiles = append(r.profiles, takeHeapProfile(ctx, b.op.pprofURL, profDir, "at the end"))
	r.operatorCPU = r.operator.CPU
	if r.opRestart, err = b.restart(ctx, start); err != nil {
		return err
	}
	if b.cfg.combined {
		if r.opCombined, err = b.combined(ctx, ""); err != nil {
			return err
		}
	}
	stopped = true
	if err := b.op.stop(); err != nil {
		r.notes = append(r.notes, err.Error())
	}
	logf("measuring the physical limit again, operator stopped")
	r.baselines = append(r.baselines, baseline(ctx, w, b.wds, workloadNS, mergePatch, b.cfg.budget, b.cfg.baseline))
	b.op, b.ctl = nil, ""
	if b.cfg.relay {
		b.relaySteps(ctx, r)
	}
	return ctx.Err()
}

// relaySteps runs the trivial relay under the stream at each rate of the run: the floor of the
// lag at the rates it keeps up with, the pipeline's limit at the highest.
func (b *bench) relaySteps(ctx context.Context, r *report) {
	logf("the trivial relay, operator stopped")
	rl, err := startRelay(ctx, b.wds, b.its, b.cfg.budget)
	if err != nil {
		r.notes = append(r.notes, "the trivial relay did not start: "+err.Error())
		return
	}
	s := b.newStream()
	for _, rate := range b.cfg.rates {
		logf("relay: changes at %s", rateName(rate))
		step, _ := b.step(ctx, s, "relay", changing, rate, nil)
		r.relay = append(r.relay, step)
	}
	r.notes = append(r.notes, "the trivial relay "+rl.stop())
}

// prepareBaseline creates what KubeStellar and the combined-status phase need from the start:
// the BindingPolicies (the operator names CombinedStatus objects after their UIDs; KubeStellar's
// binding controller resolves the Bindings from them), the inventory, the CombinedStatus watch.
func (b *bench) prepareBaseline(ctx context.Context) error {
	w := b.cfg.w
	if b.cfg.kubestellar || b.cfg.combined {
		if err := createBindingPolicies(ctx, w, b.wds, b.cfg.concurrency/4+1); err != nil {
			return err
		}
		if err := createInventory(ctx, w, b.its); err != nil {
			return err
		}
	}
	if b.cfg.combined {
		b.ct = newCombinedTracker(w)
		go b.ct.run(ctx, b.wds)
	}
	return nil
}

// newStream is the update stream of the run's steps (continuing the sequence numbers).
func (b *bench) newStream() *stream {
	if b.seq == nil {
		b.seq = &stream{w: b.cfg.w, its: b.its, tr: b.tr, ct: b.ct, writers: b.cfg.writers,
			singletonOnly: b.cfg.kubestellar}
	}
	return b.seq
}

// stream runs the unchanged step and the changing steps at rising rates against the running
// controller, the step names prefixed; during, if any, runs during the last step.
func (b *bench) stream(ctx context.Context, prefix string, during func() profile) ([]stepResult, profile) {
	logf("%sunchanged updates at %.0f/s", prefix, b.cfg.unchanged)
	s := b.newStream()
	step, _ := b.step(ctx, s, prefix+"unchanged", unchanged, b.cfg.unchanged, nil)
	steps := make([]stepResult, 0, 1+len(b.cfg.rates))
	steps = append(steps, step)
	var prof profile
	for i, rate := range b.cfg.rates {
		logf("%schanges at %s", prefix, rateName(rate))
		var d func() profile
		if i == len(b.cfg.rates)-1 {
			d = during
		}
		step, p := b.step(ctx, s, prefix+"changes", changing, rate, d)
		steps = append(steps, step)
		if d != nil {
			prof = p
		}
	}
	return steps, prof
}

// firstSync waits until every object shows its reported state, from the controller's start.
func (b *bench) firstSync(ctx context.Context) (phase, error) {
	before := b.sample(ctx)
	deadline := time.Now().Add(30 * time.Minute)
	progress := time.Now().Add(15 * time.Second)
	for b.tr.correct() < b.cfg.w.objects {
		if time.Now().After(progress) {
			logf("%s: first sync: %d of %d objects right;%s", b.ctl, b.tr.correct(), b.cfg.w.objects, b.tr.describe(3))
			progress = time.Now().Add(15 * time.Second)
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return phase{}, fmt.Errorf("first sync incomplete: %d of %d objects right;%s", b.tr.correct(),
				b.cfg.w.objects, b.tr.describe(5))
		}
		select {
		case err := <-b.op.exited:
			return phase{}, fmt.Errorf("%s exited during the first sync: %w", b.ctl, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	p := phase{took: time.Since(b.op.started), before: before, after: b.sample(ctx)}
	logf("%s: first full sync after %s", b.ctl, p.took.Round(time.Millisecond))
	return p, nil
}

// idle measures the writes while nothing changes.
func (b *bench) idle(ctx context.Context) phase {
	before := b.sample(ctx)
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
	}
	return phase{took: 5 * time.Second, before: before, after: b.sample(ctx)}
}

// step runs one step of the stream and waits until its changes land (or a drain timeout);
// during, if any, runs while the stream does (a profile of the operator).
func (b *bench) step(ctx context.Context, s *stream, name string, kind stepKind, rate float64,
	during func() profile,
) (stepResult, profile) {
	st := &stepStats{}
	res := stepResult{name: name, role: b.ctl, kind: kind, rate: rate, stats: st, load: load()}
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
	var tr interface {
		outstanding() int
		forget() int
	} = b.tr
	if kind == combining {
		tr = b.ct
	}
	for time.Now().Before(drain) && ctx.Err() == nil && (kind == unchanged || tr.outstanding() > 0) {
		time.Sleep(50 * time.Millisecond)
	}
	res.unlanded = tr.forget()
	res.after = b.sample(ctx)
	res.hwm = readProc(b.pids[b.ctl]).HWM
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
