// Command pause is the sandbox ("pause") container of the local cluster (hack/cluster.sh).
//
// It holds the pod's namespaces open: it sleeps until SIGTERM or SIGINT, and, being PID 1 of
// pods that share their process namespace, reaps every child that exits. It is built static
// (CGO_ENABLED=0) so that its image needs nothing but the binary.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-v" || os.Args[1] == "--version") {
		fmt.Println("pause (singleton-operator local cluster)")
		return
	}

	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)

	// A child may have exited before Notify took effect: reap once up front.
	reap()
	for sig := range signals {
		switch sig {
		case syscall.SIGCHLD:
			reap()
		default:
			fmt.Fprintf(os.Stderr, "pause: shutting down on %v\n", sig)
			return
		}
	}
}

// reap waits for every child that has exited, without blocking on the ones still running.
func reap() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
	}
}
