package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// runExec holds until the release, then replaces the gate with the original command: same
// argv (argv[0] included), same environment, same working directory, same PID, so that the
// application starts exactly as it would without the gate. SIGTERM or SIGINT while held ends
// the gate at once with status 0, so a held pod deletes without waiting out its grace period.
func runExec(args []string) int {
	opts, argv, err := parseOptions("exec", args, true)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gate: %v\n%s", err, usage)
		return exitUsage
	}
	if opts.supervise {
		return runSupervised(opts, argv)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	err = waitForRelease(ctx, opts, nil)
	stop()
	switch {
	case errors.Is(err, context.Canceled):
		return exitOK // stopped while held: the application never ran
	case err != nil:
		fmt.Fprintf(os.Stderr, "gate: %v\n", err)
		return exitError
	}
	path, err := lookPath(argv[0], os.Getenv("PATH"), isExecutable)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gate: %v\n", err)
		return exitNotFound
	}
	// syscall.Exec also restores the soft RLIMIT_NOFILE that the Go runtime raised at start.
	err = syscall.Exec(path, argv, os.Environ())
	fmt.Fprintf(os.Stderr, "gate: exec %s: %v\n", path, err)
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EACCES) {
		return exitNotFound
	}
	return exitError
}

// runAwait holds until the release and exits 0: a startupProbe of a native sidecar, which
// holds the pod's main containers. With --max-wait it exits 1 when that time has passed, so
// that it ends before the probe's timeoutSeconds and the kubelet simply probes again.
func runAwait(args []string) int {
	opts, _, err := parseOptions("await", args, false)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gate: %v\n%s", err, usage)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if opts.maxWait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.maxWait)
		defer cancel()
	}
	if err := waitForRelease(ctx, opts, nil); err != nil {
		if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			fmt.Fprintf(os.Stderr, "gate: %v\n", err)
		}
		return exitError
	}
	return exitOK
}

// runIdle blocks until SIGTERM or SIGINT and exits 0: the process of a native sidecar whose
// only job is its startupProbe.
func runIdle() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	<-ctx.Done()
	return exitOK
}
