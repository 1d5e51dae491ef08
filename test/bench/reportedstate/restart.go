package main

import (
	"context"
	"time"
)

// restartResult is what a controller did after a restart with every status landed: the
// operator should change nothing.
type restartResult struct {
	window time.Duration
	// writes are the WDS API server's write requests on deployments over the watch.
	writes float64
	// cleared counts the objects the driver's watch saw losing their status.
	cleared int64
	// mostWrong is the most objects not showing their reported state at one time.
	mostWrong int
	// rightAgain is the time from the restart until every object was right again after some
	// were not (0: none ever was wrong; negative: not within the limit).
	rightAgain time.Duration
	cpu        time.Duration
	ran        bool
	// wrongBefore counts the objects not right before the restart (changes the stream left
	// unlanded), wrongBeforeWhat says which.
	wrongBefore     int
	wrongBeforeWhat string
	// wrongAfter names a few objects still wrong at the end.
	wrongAfter string
}

// restart stops the running controller, starts it again with start and watches the WDS for
// the restart window, longer (up to 5 minutes) while objects are wrong.
func (b *bench) restart(ctx context.Context, start func() (*operator, error)) (restartResult, error) {
	res := restartResult{window: b.cfg.restartWindow, ran: true}
	logf("%s: restart with every status landed", b.ctl)
	if err := b.tr.readLast(ctx, b.its); err != nil {
		return res, err
	}
	if n := b.cfg.w.objects - b.tr.correct(); n > 0 {
		res.wrongBefore = n
		res.wrongBeforeWhat = b.tr.describe(3)
	}
	if err := b.op.stop(); err != nil {
		logf("%s: %v", b.ctl, err)
	}
	before := b.sample(ctx)
	cleared := b.tr.clearedCount()
	op, err := start()
	if err != nil {
		return res, err
	}
	b.op = op
	b.pids[b.ctl] = op.pid()
	deadline, limit := op.started.Add(res.window), op.started.Add(res.window+2*time.Minute)
	for ctx.Err() == nil {
		wrong := b.cfg.w.objects - b.tr.correct()
		res.mostWrong = max(res.mostWrong, wrong)
		now := time.Now()
		if wrong == 0 && res.mostWrong > 0 && res.rightAgain == 0 {
			res.rightAgain = now.Sub(op.started)
		}
		if now.After(deadline) && (wrong == 0 || now.After(limit)) {
			if wrong > 0 {
				res.rightAgain = -1
				res.wrongAfter = b.tr.describe(3)
				logf("%s: %d objects still wrong after the restart:%s", b.ctl, wrong, res.wrongAfter)
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	after := b.sample(ctx)
	res.writes = after.wdsWrites - before.wdsWrites
	res.cleared = b.tr.clearedCount() - cleared
	res.cpu = readProc(op.pid()).CPU
	return res, nil
}
