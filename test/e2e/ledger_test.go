//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// nodeIP is the local cluster's node address (hack/cluster.sh NODE_IP); the suite runs in the
// cluster's network namespace, where pods reach it without DNS.
var nodeIP = envOr("E2E_NODE_IP", "10.99.0.2")

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// interval is one run of an application: from its start report to its stop report (zero
// while it runs).
type interval struct {
	Pod         string
	Start, Stop time.Time
}

// ledger is the overlap detector: a tiny HTTP server that test applications report their
// start and stop to, so that the test can check that no two runs overlapped.
type ledger struct {
	URL string

	mu   sync.Mutex
	runs []interval
}

// startLedger serves a ledger on the node IP until the spec ends.
func startLedger() *ledger {
	GinkgoHelper()
	l := &ledger{}
	listener, err := net.Listen("tcp", net.JoinHostPort(nodeIP, "0"))
	Expect(err).NotTo(HaveOccurred(), "listening on the node IP; run the suite in the cluster's network namespace")
	l.URL = "http://" + listener.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("/start", func(_ http.ResponseWriter, r *http.Request) { l.record(r.URL.Query().Get("pod"), true) })
	mux.HandleFunc("/stop", func(_ http.ResponseWriter, r *http.Request) { l.record(r.URL.Query().Get("pod"), false) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer GinkgoRecover()
		if err := srv.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
			Fail(fmt.Sprintf("the ledger stopped: %v", err))
		}
	}()
	DeferCleanup(func(ctx context.Context) error { return srv.Shutdown(ctx) })
	return l
}

func (l *ledger) record(pod string, start bool) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	GinkgoWriter.Printf("ledger: %s %s at %s\n", pod, map[bool]string{true: "started", false: "stopped"}[start],
		now.Format("15:04:05.000"))
	if start {
		l.runs = append(l.runs, interval{Pod: pod, Start: now})
		return
	}
	for i := len(l.runs) - 1; i >= 0; i-- {
		if l.runs[i].Pod == pod && l.runs[i].Stop.IsZero() {
			l.runs[i].Stop = now
			return
		}
	}
	// A stop without a start is a run the ledger missed the start of: keep it, so it counts.
	l.runs = append(l.runs, interval{Pod: pod, Stop: now})
}

// Runs returns the runs so far, in the order they started.
func (l *ledger) Runs() []interval {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.runs)
}

// Overlaps returns, for each run that started before the one before it stopped, a message.
func Overlaps(runs []interval) []string {
	var out []string
	for i := 1; i < len(runs); i++ {
		prev := runs[i-1]
		if prev.Stop.IsZero() || runs[i].Start.Before(prev.Stop) {
			out = append(out, fmt.Sprintf("%s started at %s while %s ran (stopped %s)", runs[i].Pod,
				runs[i].Start.Format("15:04:05.000"), prev.Pod, prev.Stop.Format("15:04:05.000")))
		}
	}
	return out
}

// reportingScript is a busybox shell application that reports its start and its stop (on
// SIGTERM) to the ledger, and otherwise sleeps.
func reportingScript(ledgerURL string) string {
	return reportingScriptAs(ledgerURL, "$HOSTNAME")
}

// reportingScriptAs is reportingScript with the run named by the shell word id (expanded by
// the application's shell), for pods whose names are reused, such as a StatefulSet's.
func reportingScriptAs(ledgerURL, id string) string {
	return fmt.Sprintf(`%s
trap '%s; exit 0' TERM
while true; do sleep 3600 & wait $!; done`, report(ledgerURL, id, "start"), report(ledgerURL, id, "stop"))
}

// crashingScript is an application that reports its start, runs about a second, reports its
// stop and exits 1 (or exits 0 at once on SIGTERM, after reporting its stop): under a
// restartPolicy Always it crash-loops, and the ledger sees every start.
func crashingScript(ledgerURL string) string {
	return fmt.Sprintf(`%s
trap '%s; exit 0' TERM
sleep 1 & wait $!
trap '' TERM
%s
exit 1`, report(ledgerURL, "$HOSTNAME", "start"), report(ledgerURL, "$HOSTNAME", "stop"),
		report(ledgerURL, "$HOSTNAME", "stop"))
}

// report is the shell command that reports what (start or stop) of the run id to the ledger.
func report(ledgerURL, id, what string) string {
	return fmt.Sprintf(`wget -q -O /dev/null "%s/%s?pod=%s"`, ledgerURL, what, id)
}

// expectRunsInTurn waits until the ledger holds one run per name given, in that order, checks
// that no further run starts for a few seconds, that every run but the last reported its stop,
// and that no two runs overlapped.
func expectRunsInTurn(ctx context.Context, book *ledger, names ...string) {
	GinkgoHelper()
	want := make([]any, 0, len(names))
	for _, name := range names {
		want = append(want, HaveField("Pod", name))
	}
	Eventually(book.Runs).WithContext(ctx).Should(HaveExactElements(want...), "one run per pod, in order")
	Consistently(book.Runs).WithContext(ctx).WithTimeout(3*time.Second).Should(HaveLen(len(names)),
		"no other start happened")
	runs := book.Runs()
	for _, run := range runs[:len(runs)-1] {
		Expect(run.Stop.IsZero()).To(BeFalse(), "%s reported its stop", run.Pod)
	}
	Expect(Overlaps(runs)).To(BeEmpty())
	gap := runs[len(runs)-1].Start.Sub(runs[len(runs)-2].Stop)
	GinkgoWriter.Printf("ledger: %d runs, no overlap; last hand-over gap (old app stopped -> new app started): %s\n",
		len(runs), gap)
}
