// Command app is the hand-over benchmark's application (test/e2e/bench_handover_test.go): a
// static program, alone in an image with no shell, whose ENTRYPOINT it is. It reports its start
// to the ledger at $LEDGER as its first act, waits, and on SIGTERM reports its stop and exits 0.
// A report is one HTTP/1.0 request on a new connection, with no process forked and no client
// library set up, so that the ledger's start and stop are within a millisecond of the process's
// own: the shell script it replaces forked wget for each (about 18 ms on a busy node).
package main

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	// Ask for SIGTERM before anything else: a stop requested during the start report waits.
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	ledger, err := url.Parse(os.Getenv("LEDGER"))
	if err != nil || ledger.Host == "" {
		fmt.Fprintf(os.Stderr, "app: LEDGER must be the ledger's http URL, got %q\n", os.Getenv("LEDGER"))
		os.Exit(2)
	}
	pod, _ := os.Hostname()
	if err := report(ledger.Host, "start", pod); err != nil {
		fmt.Fprintf(os.Stderr, "app: reporting the start: %v\n", err)
	}
	<-term
	if err := report(ledger.Host, "stop", pod); err != nil {
		fmt.Fprintf(os.Stderr, "app: reporting the stop: %v\n", err)
	}
}

// report tells the ledger at host that what (start or stop) of the run named pod happened, and
// waits for its answer.
func report(host, what, pod string) error {
	conn, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return err
	}
	request := fmt.Sprintf("GET /%s?pod=%s HTTP/1.0\r\nHost: %s\r\n\r\n", what, url.QueryEscape(pod), host)
	if _, err := io.WriteString(conn, request); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, conn)
	return err
}
