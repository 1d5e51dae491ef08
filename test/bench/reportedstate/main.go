// Command reportedstate measures the KubeStellar reported-state reconciler at scale and prints
// the figures of docs/benchmarks-reportedstate.md.
//
// It starts a WDS and an ITS (two real kube-apiservers, each with its etcd), creates N
// Deployments with their Bindings in the WDS and N x W WorkStatus objects in the ITS, measures
// how fast the WDS accepts status writes from a trivial client (the physical limit), then runs
// the operator (cmd/main.go, built and started as a process of its own) and measures: the time to
// the first full sync, the WDS writes per unchanged WorkStatus update, the propagation lag
// (WorkStatus status patch sent -> the driver's own WDS watch shows the value) under a steady
// stream of updates at rising rates and then as fast as the driver can write, the WDS writes per
// changed object (from the WDS API server's apiserver_request_total), and the operator's CPU
// time and peak memory (/proc). Run it with `make bench-reportedstate`.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

type config struct {
	w           workload
	rates       []float64
	step        time.Duration
	unchanged   float64
	writers     int
	concurrency int
	baseline    time.Duration
	budget      int
	memoryLimit string
	out         string
	keep        bool
	// kubestellar: also measure KubeStellar v0.30's controller-manager (kubestellar.go).
	kubestellar   bool
	ksQPS         int
	restartWindow time.Duration
	relay         bool
	combined      bool
	combinedRates []float64
	reportedSteps bool
}

func main() { os.Exit(mainCode()) }

// mainCode runs the command and returns its exit status.
func mainCode() int {
	var cfg config
	var rates string
	flag.IntVar(&cfg.w.objects, "objects", 1000, "workload objects (Deployments) in the WDS")
	flag.IntVar(&cfg.w.wecs, "wecs", 10, "WECs: each object has a WorkStatus in every WEC")
	flag.IntVar(&cfg.w.bindingSize, "binding-size", 100, "objects per group of Bindings")
	flag.StringVar(&rates, "rates", "10,50,100,200,400,800,0",
		"changes per second of the steps, in order; 0 is as fast as the driver's writers go")
	flag.DurationVar(&cfg.step, "step", 20*time.Second, "duration of each rate step")
	flag.Float64Var(&cfg.unchanged, "unchanged-rate", 100, "updates per second of the unchanged step")
	flag.IntVar(&cfg.writers, "writers", 64, "concurrent ITS writers of the update stream")
	flag.IntVar(&cfg.concurrency, "create-concurrency", 48, "concurrent clients creating the ITS objects")
	flag.DurationVar(&cfg.baseline, "baseline", 10*time.Second, "duration of each trivial-client measurement")
	flag.IntVar(&cfg.budget, "budget", 8,
		"concurrency budget: the operator's workers (--reportedstate-workers) and the trivial client's goroutines")
	flag.StringVar(&cfg.memoryLimit, "memory-limit", "512Mi",
		"the container memory limit the operator runs as if under: it gets GOMEMLIMIT at 90% of it, the soft "+
			"limit it sets itself from its container's cgroup limit; empty for none")
	flag.BoolVar(&cfg.kubestellar, "kubestellar", true,
		"also measure KubeStellar v0.30's controller-manager (status and binding controllers) under the same stream, "+
			"after the operator; the stream then changes singleton objects only")
	flag.IntVar(&cfg.ksQPS, "ks-qps", 10000,
		"KubeStellar's client limit towards the WDS and the ITS (requests/s; burst twice that); it ships with 5")
	flag.DurationVar(&cfg.restartWindow, "restart-window", 20*time.Second,
		"how long each controller is watched after its restart (up to 2 minutes longer while objects are wrong)")
	flag.BoolVar(&cfg.relay, "relay", true, "measure the trivial relay after the operator")
	flag.BoolVar(&cfg.combined, "combined", true,
		"measure the combined status (a StatusCollector's COUNT and SUM grouped by a field) of each controller")
	var combinedRates string
	flag.StringVar(&combinedRates, "combined-rates", "10,50,100,200,0", "changes per second of the combined-status steps")
	flag.BoolVar(&cfg.reportedSteps, "reported-steps", true,
		"run the reported-state update stream (false: only the first syncs, restarts and, if on, combined status)")
	flag.StringVar(&cfg.out, "out", "", "also write the report to this file")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the work directory (operator log)")
	flag.Parse()
	var err error
	if cfg.rates, err = parseRates(rates); err == nil {
		cfg.combinedRates, err = parseRates(combinedRates)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad rates:", err)
		return 2
	}
	cfg.w.collector = ""
	if cfg.combined {
		cfg.w.collector = collectorName
	}
	// envtest logs through controller-runtime's logger: errors only, on stderr.
	ctrllog.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	var out io.Writer = os.Stdout
	if cfg.out != "" {
		f, err := os.Create(cfg.out)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer func() { _ = f.Close() }()
		out = io.MultiWriter(os.Stdout, f)
	}
	if err := run(ctx, cfg, out); err != nil {
		fmt.Fprintln(os.Stderr, "reportedstate bench:", err)
		return 1
	}
	return 0
}

// parseRates parses a comma-separated list of rates.
func parseRates(s string) ([]float64, error) {
	var out []float64
	for _, r := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// logf prints progress on stderr, with the time since start.
var begin = time.Now()

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(begin).Seconds(), fmt.Sprintf(format, args...))
}
