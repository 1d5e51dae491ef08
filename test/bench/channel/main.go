// Command channel measures what held gate sessions cost the operator's channel server
// (docs/gate.md, "Held connections"): the real server (internal/gatechannel) in this process,
// with a real manager cache and real TokenReviews against a real API server, and N gates,
// each with a connection of its own, played by a child process so that their memory is not
// counted. It prints the server process's Go heap, goroutines and resident memory before and
// after the sessions open, the cost per session, and the CPU the server spends while they idle.
//
//	KUBEBUILDER_ASSETS="$(hack/build-kube.sh | tail -n1)" go run ./test/bench/channel -sessions 1000
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"time"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

func main() {
	var (
		sessions = flag.Int("sessions", 1000, "pods, each with one supervised container whose gate holds a session")
		idle     = flag.Duration("idle", 30*time.Second, "how long the sessions idle while the server's CPU is measured")
		http1    = flag.Bool("http1", false, "the gates speak HTTP/1.1 (as before the server offered HTTP/2), for comparison")
		gates    = flag.String("gates", "", "internal: play the gates of the sessions listed in this file")
	)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.Level(zapcore.ErrorLevel)))
	if *gates != "" {
		if err := playGates(*gates, !*http1); err != nil {
			fmt.Fprintln(os.Stderr, "gates:", err)
			os.Exit(1)
		}
		select {} // holding the sessions until the benchmark kills this process
	}
	if err := run(*sessions, *idle, *http1); err != nil {
		fmt.Fprintln(os.Stderr, "channel bench:", err)
		os.Exit(1)
	}
}

func run(n int, idle time.Duration, http1 bool) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	op, err := startOperator(ctx, n)
	if err != nil {
		return err
	}
	defer op.stop()

	before := measure()
	child := exec.CommandContext(ctx, os.Args[0], "-gates", op.sessionsFile, fmt.Sprintf("-http1=%t", http1))
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	if err != nil {
		return err
	}
	opened := time.Now()
	if err := child.Start(); err != nil {
		return fmt.Errorf("starting the gates: %w", err)
	}
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "ready" {
		return fmt.Errorf("the gates did not open their sessions: %q", lines.Text())
	}
	openTime := time.Since(opened)
	if got := op.openSessions(); got != n {
		return fmt.Errorf("the server holds %d sessions, want %d", got, n)
	}
	held := measure()
	cpu0 := cpuTime()
	time.Sleep(idle) // the measurement's window: the sessions idle
	cpuIdle := cpuTime() - cpu0
	after := measure()
	if got := op.openSessions(); got != n {
		return fmt.Errorf("after %s idle the server holds %d sessions, want %d", idle, got, n)
	}

	proto := "HTTP/2"
	if http1 {
		proto = "HTTP/1.1"
	}
	fmt.Printf("channel benchmark: %d pods, one supervised container each, one held session per gate (%s, TLS, "+
		"a pod-bound token reviewed once); load average %s\n", n, proto, loadAverage())
	fmt.Printf("%-34s %12s %12s %12s\n", "operator process", "heap in use", "goroutines", "RSS")
	row := func(what string, u usage) {
		fmt.Printf("%-34s %12s %12d %12s\n", what, mib(u.heap), u.goroutines, mib(u.rss))
	}
	row("pods cached, no session", before)
	row(fmt.Sprintf("%d sessions held", n), held)
	row(fmt.Sprintf("after %s idle", idle), after)
	fmt.Printf("per session: heap %s, %.1f goroutines, RSS %s; opening all took %s (%s each, TokenReviews included)\n",
		kib((held.heap-before.heap)/int64(n)), float64(held.goroutines-before.goroutines)/float64(n),
		kib((held.rss-before.rss)/int64(n)), openTime.Round(time.Millisecond),
		(openTime / time.Duration(n)).Round(time.Microsecond))
	fmt.Printf("CPU while %d sessions idle for %s: %s (%.2f%% of one core; the manager's own idle work included)\n",
		n, idle, cpuIdle.Round(time.Microsecond), 100*cpuIdle.Seconds()/idle.Seconds())
	return nil
}

type usage struct {
	heap, rss  int64
	goroutines int
}

// measure reads the process's Go heap after a collection, its goroutines and its resident memory.
func measure() usage {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return usage{heap: int64(m.HeapInuse), goroutines: runtime.NumGoroutine(), rss: rss()}
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
func kib(b int64) string { return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10)) }
