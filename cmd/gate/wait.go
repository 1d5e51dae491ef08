package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

// safetyRecheck is how often the inotify mode re-reads the files anyway, so that an event it
// could not see (the volume replaced under the watch) costs at most this long.
const safetyRecheck = time.Second

// waitForRelease returns nil once the pod is released, ctx's error when ctx ends first, and
// any error reading the downward API volume (the gate fails closed). It reads the files
// before it waits, so a released pod (a restarted container) starts at once, and a pod whose
// release was revoked waits again. A receive from pushed (the release pushed over the channel,
// docs/gate.md; nil without one) also releases.
func waitForRelease(ctx context.Context, opts options, pushed <-chan struct{}) error {
	// First without a watch: a released pod (a restarted container) starts at once, and a
	// missing volume fails before anything else.
	if ok, err := readRelease(opts.podinfoDir); err != nil || ok {
		return err
	}
	var events <-chan struct{}
	recheck := opts.interval
	if opts.watch == watchInotify {
		w, err := watchDir(opts.podinfoDir)
		if err == nil {
			defer w.close()
			events = w.events
			recheck = safetyRecheck
		} else {
			// inotify instances are limited per user (fs.inotify.max_user_instances).
			fmt.Fprintf(os.Stderr, "gate: inotify unavailable (%v); polling every %s\n", err, opts.interval)
		}
	}
	ticker := time.NewTicker(recheck)
	defer ticker.Stop()
	for { // the watch is in place before this read, so no update falls between the two
		ok, err := readRelease(opts.podinfoDir)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-pushed:
			return nil
		case <-events:
		case <-ticker.C:
		}
	}
}
