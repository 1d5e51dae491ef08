// Command gate holds a StatefulSingleton pod's application until the operator releases the pod.
//
// The operator's webhook injects it; see docs/gate.md for the whole design. Subcommands:
//
//	gate install DIR             copy this binary to DIR/gate (an init container, operator image)
//	gate exec [FLAGS] -- ARGV... wait for the release, then exec ARGV in place of the gate; with
//	                             --supervise, run it as a child instead, reap, and report its exit
//	gate await [FLAGS]           wait for the release, exit 0 (a startupProbe); exit 1 after --max-wait
//	gate idle                    block until SIGTERM or SIGINT, then exit 0 (a native sidecar's process)
//	gate noop                    exit 0 at once (an init container that makes the kubelet pull an image)
//
// The release signal is a downward API volume (default /singleton/podinfo) holding two files:
// "uid" (metadata.uid) and "release" (metadata.annotations['apps.statefulsingleton.com/release']).
// The pod is released when "release" holds exactly the pod's UID. A supervising gate with the
// channel flags (internal/gatewire) may also get the release pushed by the operator.
package main

import (
	"fmt"
	"os"
)

// Exit codes. exitNotFound is what shells and container runtimes use for a command that is
// not there; exitUsage for a malformed command line; exitError for anything else.
const (
	exitOK       = 0
	exitError    = 1
	exitUsage    = 2
	exitNotFound = 127
)

const usage = `usage:
  gate install DIR
  gate exec [--podinfo DIR] [--watch inotify|poll] [--interval DURATION]
            [--supervise [--container NAME --operator https://IP:PORT --server-name NAME --ca-sha256 HEX
            [--state-dir DIR] [--token-dir DIR]]] -- COMMAND [ARG...]
  gate await [--podinfo DIR] [--watch inotify|poll] [--interval DURATION] [--max-wait DURATION]
  gate idle
  gate noop
`

func main() {
	os.Exit(run(os.Args[1:]))
}

// run dispatches a subcommand and returns the process's exit code. exec only returns on error.
func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "install":
		return runInstall(args[1:])
	case "exec":
		return runExec(args[1:])
	case "await":
		return runAwait(args[1:])
	case "idle":
		return runIdle()
	case "noop":
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(os.Stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(os.Stderr, "gate: unknown subcommand %q\n%s", args[0], usage)
		return exitUsage
	}
}
