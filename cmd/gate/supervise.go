package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// forwarded are the signals a supervising gate passes on to the application: every catchable
// signal but SIGCHLD (the gate's own: a child changed state), SIGURG (the Go runtime preempts
// its threads with it), SIGPIPE (the gate's own writes to a closed connection raise it) and the
// faults of the gate itself (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS) and SIGPROF.
// The real-time signals are forwarded too. docs/gate.md, "Supervision".
var forwarded = append([]os.Signal{
	syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGABRT, syscall.SIGUSR1,
	syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGTERM, syscall.SIGCONT, syscall.SIGTSTP,
	syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGXCPU, syscall.SIGXFSZ, syscall.SIGVTALRM,
	syscall.SIGWINCH, syscall.SIGIO,
}, extraForwarded...)

// exitReportTimeout bounds how long an exiting gate waits to report the exit: the container's
// exit is not held up longer than this when the operator cannot be reached.
const exitReportTimeout = 2 * time.Second

// runSupervised is exec --supervise: hold until the release (the downward API file, or pushed
// over the channel), register the start if an earlier one reported its exit, then run the
// application as a child, forward signals to it, reap every child, and exit with its status.
// As PID 1 of the container, when the application exits it kills and reaps whatever else runs
// in the container, and then reports the exit over the channel.
func runSupervised(opts options, argv []string) int {
	pid1 := os.Getpid() == 1
	if !pid1 {
		// shareProcessNamespace: the pod's PID 1 is another process, and processes of other
		// containers share the namespace; the gate cannot know that the application's whole
		// tree is gone, so it reports nothing.
		if err := becomeSubreaper(); err != nil {
			fmt.Fprintf(os.Stderr, "gate: not PID 1 and no subreaper (%v): the app's orphans are not reaped here\n", err)
		}
		if opts.channel.enabled() {
			fmt.Fprintln(os.Stderr, "gate: not PID 1 (a shared process namespace): supervising without reporting exits")
		}
	}
	// Before anything else, so that no signal is lost between the release and the start.
	signals := make(chan os.Signal, 64)
	signal.Notify(signals, forwarded...)
	children := make(chan os.Signal, 1)
	signal.Notify(children, syscall.SIGCHLD)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ch *channel
	start := 0
	if opts.channel.enabled() {
		var err error
		if start, err = countStart(opts.channel.stateDir, opts.channel.container); err != nil {
			fmt.Fprintf(os.Stderr, "gate: count the start: %v\n", err)
			return exitError
		}
		ch = newChannel(opts.channel, opts.podinfoDir, start)
		go ch.run(ctx)
	}
	if code, ok := holdUntilStart(ctx, opts, ch, signals); !ok {
		return code
	}
	pid, code := startApplication(argv)
	if pid == 0 {
		return code
	}
	code = exitCode(supervise(pid, signals, children))
	if !pid1 {
		return code
	}
	killTheRest()
	if ch != nil {
		reportExit(ctx, opts.channel, ch, start, code)
	}
	return code
}

// holdUntilStart runs hold while it watches for SIGTERM and SIGINT, which end the gate with
// status 0 at once while it holds (the application never runs). ok says whether the
// application may start; if not, code is the gate's exit status.
func holdUntilStart(ctx context.Context, opts options, ch *channel, signals <-chan os.Signal) (code int, ok bool) {
	held := make(chan error, 1)
	go func() { held <- hold(ctx, opts, ch) }()
	for {
		select {
		case s := <-signals:
			if s == syscall.SIGTERM || s == syscall.SIGINT {
				return exitOK, false
			}
		case err := <-held:
			if err != nil {
				fmt.Fprintf(os.Stderr, "gate: %v\n", err)
				return exitError, false
			}
			return exitOK, true
		}
	}
}

// startApplication starts argv as the gate's child, as the container runtime would have started
// it (PATH lookup, argv[0], environment, working directory). It returns the child's PID, or 0
// and the gate's exit status.
func startApplication(argv []string) (pid, code int) {
	path, err := lookPath(argv[0], os.Getenv("PATH"), isExecutable)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gate: %v\n", err)
		return 0, exitNotFound
	}
	// ForkExec, not os.StartProcess: the gate reaps every child with wait4(-1), which must not
	// race a wait of the os package. It restores the soft RLIMIT_NOFILE in the child.
	pid, err = syscall.ForkExec(path, argv, &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}})
	if err != nil {
		fmt.Fprintf(os.Stderr, "gate: exec %s: %v\n", path, err)
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EACCES) {
			return 0, exitNotFound
		}
		return 0, exitError
	}
	return pid, exitOK
}

// reportExit writes the exit-reported marker and then reports the exit, for at most
// exitReportTimeout. The marker comes first: the report may reach the operator even if its
// answer never comes back, and the next start of this container must then register before
// it runs. When no report was sent at all (no session, the operator unreachable), the marker
// goes again: the operator cannot hold that exit, and the next start need not wait for it.
func reportExit(ctx context.Context, opts channelOptions, ch *channel, start, code int) {
	if err := writeMarker(opts.stateDir, opts.container, start); err != nil {
		fmt.Fprintf(os.Stderr, "gate: write the exit-reported marker: %v; the exit is not reported\n", err)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, exitReportTimeout)
	defer cancel()
	sent, err := ch.reportExit(ctx, code)
	if err == nil {
		return
	}
	fmt.Fprintf(os.Stderr, "gate: report the exit: %v\n", err)
	if !sent {
		if err := removeMarker(opts.stateDir, opts.container); err != nil {
			fmt.Fprintf(os.Stderr, "gate: remove the exit-reported marker of a report never sent: %v\n", err)
		}
	}
}

// hold returns once the application may start: the pod is released (the file, or pushed over
// the channel) and, if an earlier start of this container reported its exit, the operator
// allowed this start.
func hold(ctx context.Context, opts options, ch *channel) error {
	var pushed <-chan struct{}
	if ch != nil {
		pushed = ch.released
	}
	if err := waitForRelease(ctx, opts, pushed); err != nil {
		return err
	}
	if ch == nil {
		return nil
	}
	reported, err := hasMarker(opts.channel.stateDir, opts.channel.container)
	if err != nil || !reported {
		return err
	}
	if err := ch.registerStart(ctx); err != nil {
		return err
	}
	return removeMarker(opts.channel.stateDir, opts.channel.container)
}

// supervise forwards signals to the application pid and reaps every child until pid has
// exited, and returns its wait status.
func supervise(pid int, signals, children <-chan os.Signal) syscall.WaitStatus {
	for {
		if status, exited := reap(pid); exited {
			return status
		}
		select {
		case s := <-signals:
			// ESRCH: it exited and is not reaped yet; the next SIGCHLD tells.
			_ = syscall.Kill(pid, s.(syscall.Signal))
		case <-children:
		}
	}
}

// reap collects every child that has exited, without blocking, and reports whether pid was
// one of them, with its status.
func reap(pid int) (status syscall.WaitStatus, exited bool) {
	for {
		var ws syscall.WaitStatus
		got, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || got <= 0 {
			return status, exited
		}
		if got == pid {
			status, exited = ws, true
		}
	}
}

// killTheRest ends every other process of the container (the gate is its PID 1, so kill(-1)
// reaches exactly them) and reaps them all: what the kernel does when a PID namespace's init
// exits, done before the gate reports the exit.
func killTheRest() {
	for {
		_ = syscall.Kill(-1, syscall.SIGKILL) // ESRCH: nothing else is left
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, syscall.ECHILD) {
			return
		}
		if err != nil && !errors.Is(err, syscall.EINTR) {
			fmt.Fprintf(os.Stderr, "gate: wait: %v\n", err)
			return
		}
	}
}

// exitCode is the container's exit status for the application's wait status: its exit code,
// or 128+N when signal N ended it, as container runtimes report it.
func exitCode(ws syscall.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	default:
		return exitError
	}
}
