package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat times (100 on Linux).
const clockTicks = 100

// procSample is what /proc says of a process at one moment.
type procSample struct {
	CPU time.Duration // user + system time so far
	RSS int64         // VmRSS, bytes
	HWM int64         // VmHWM (peak RSS), bytes
}

// readProc reads the CPU time and memory of a process; zero when pid is 0 or gone.
func readProc(pid int) procSample {
	var s procSample
	if pid == 0 {
		return s
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s
	}
	// The fields after the command name (in parentheses, which may hold spaces).
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(fields) > 12 {
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		s.CPU = time.Duration(utime+stime) * time.Second / clockTicks
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s
	}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if k == "VmRSS" {
			s.RSS = kb * 1024
		} else {
			s.HWM = kb * 1024
		}
	}
	return s
}

// sample is the CPU time of every process the benchmark watches, and the API servers'
// request counters, at one moment.
type sample struct {
	at  time.Time
	cpu map[string]time.Duration // by process role
	// wdsWrites counts the WDS API server's mutating requests on deployments (all
	// subresources), from its own apiserver_request_total.
	wdsWrites float64
	// itsWrites counts the ITS API server's mutating requests on workstatuses.
	itsWrites float64
	// watchEvents counts the MODIFIED events of workload Deployments the driver's watch saw.
	watchEvents int64
	// op is what the operator's own metrics say (for explanation, not for the write counts).
	op opMetrics
}

// mutating are the verbs of apiserver_request_total that write (an update is a PUT there).
var mutating = []string{"APPLY", "PATCH", "PUT", "UPDATE", "POST", "CREATE", "DELETE"}

// requestCount sums apiserver_request_total over the mutating verbs for one resource.
func requestCount(ctx context.Context, cs kubernetes.Interface, resource string) (float64, error) {
	raw, err := cs.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return 0, err
	}
	return sumMetric(bytes.NewReader(raw), "apiserver_request_total", func(l map[string]string) bool {
		return l["resource"] == resource && slices.Contains(mutating, l["verb"])
	}), nil
}

// opMetrics is what the operator's own metrics say of its object controllers
// ("reportedstate-<namespace>-<name>"): reconciles, time in the work queue and at work, and
// its Go heap. For explanation only: writes are counted by the WDS.
type opMetrics struct {
	reconciles           float64
	queueSum, queueCount float64
	workSum, workCount   float64
	heapInuse            float64
}

func (m opMetrics) minus(o opMetrics) opMetrics {
	return opMetrics{
		reconciles: m.reconciles - o.reconciles,
		queueSum:   m.queueSum - o.queueSum, queueCount: m.queueCount - o.queueCount,
		workSum: m.workSum - o.workSum, workCount: m.workCount - o.workCount,
		heapInuse: m.heapInuse,
	}
}

func mean(sum, count float64) time.Duration {
	if count == 0 {
		return 0
	}
	return time.Duration(sum / count * float64(time.Second))
}

// operatorMetrics scrapes the operator's metrics endpoint.
func operatorMetrics(ctx context.Context, url string) opMetrics {
	var m opMetrics
	if url == "" {
		return m
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		return m
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return m
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return m
	}
	ours := func(key string) func(map[string]string) bool {
		return func(l map[string]string) bool { return strings.HasPrefix(l[key], "reportedstate-") }
	}
	get := func(name string, match func(map[string]string) bool) float64 {
		return sumMetric(bytes.NewReader(raw), name, match)
	}
	m.reconciles = get("controller_runtime_reconcile_total", ours("controller"))
	m.queueSum = get("workqueue_queue_duration_seconds_sum", ours("name"))
	m.queueCount = get("workqueue_queue_duration_seconds_count", ours("name"))
	m.workSum = get("workqueue_work_duration_seconds_sum", ours("name"))
	m.workCount = get("workqueue_work_duration_seconds_count", ours("name"))
	m.heapInuse = get("go_memstats_heap_inuse_bytes", nil)
	return m
}

// sumMetric adds up the samples of a metric (Prometheus text format) whose labels match.
func sumMetric(r io.Reader, name string, match func(map[string]string) bool) float64 {
	var total float64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, name+" "); ok && match == nil {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				total += f
			}
			continue
		}
		rest, ok := strings.CutPrefix(line, name+"{")
		if !ok || match == nil {
			continue
		}
		end := strings.LastIndexByte(rest, '}')
		if end < 0 {
			continue
		}
		if !match(parseLabels(rest[:end])) {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest[end+1:]), 64)
		if err == nil {
			total += v
		}
	}
	return total
}

// parseLabels parses a="x",b="y" (the values here hold no quotes or commas).
func parseLabels(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if ok {
			out[k] = strings.Trim(v, `"`)
		}
	}
	return out
}

// load is the machine's load average, as uptime prints it.
func load() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
