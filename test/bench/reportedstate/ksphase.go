package main

import (
	"context"
	"fmt"
	"time"
)

// ctlReport is what the run measured of KubeStellar's controller-manager.
type ctlReport struct {
	sync       phase
	syncMemory procSample
	idle       phase
	steps      []stepResult
	// proc is its process at the end of the stream (before the restart).
	proc     procSample
	restart  restartResult
	combined *combinedReport
}

// kubestellar measures KubeStellar's controller-manager as the operator was measured, after it:
// the workload's status cleared, the policies its binding controller resolves the same
// Bindings from, its first full sync, the same stream, a restart.
func (b *bench) kubestellar(ctx context.Context, dir, bin string, r *report) error {
	w := b.cfg.w
	logf("KubeStellar: clearing the workload's status; its ControlPlanes")
	if err := clearStatus(ctx, w, b.wds, b.cfg.concurrency); err != nil {
		return err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for b.tr.withStatus() > 0 {
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("status not cleared: %d objects still show one", b.tr.withStatus())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := registerSpaces(ctx, b.wds, b.its); err != nil {
		return err
	}
	b.tr.setIgnoreCount(true)
	if err := b.tr.readLast(ctx, b.its); err != nil {
		return err
	}
	ks := &ctlReport{}
	r.ks = ks
	start := func() (*operator, error) { return startKubeStellar(bin, dir, b.wds, b.cfg.ksQPS) }
	logf("starting KubeStellar's controller-manager (client limits %d/s, burst %d)", b.cfg.ksQPS, 2*b.cfg.ksQPS)
	var err error
	if b.op, err = start(); err != nil {
		return err
	}
	b.ctl = roleKubeStellar
	b.pids[roleKubeStellar] = b.op.pid()
	defer func() { _ = b.op.stop() }()
	if ks.sync, err = b.firstSync(ctx); err != nil {
		return err
	}
	ks.syncMemory = readProc(b.op.pid())
	ks.idle = b.idle(ctx)
	if b.cfg.reportedSteps {
		ks.steps, _ = b.stream(ctx, "ks-", nil)
	}
	ks.proc = readProc(b.op.pid())
	if ks.restart, err = b.restart(ctx, start); err != nil {
		return err
	}
	if b.cfg.combined {
		ks.combined, err = b.combined(ctx, "ks-")
	}
	return err
}
