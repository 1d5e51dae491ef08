// Command app is the application of the gate's supervision tests (supervise_test.go): a static
// program with no shell, whose first argument says what it does.
//
//	app report OUT CODE ARGS...  write its argv, environment, working directory and parent's PID
//	                             to OUT as JSON, exit CODE
//	app signals OUT              append "ready" to OUT, then the name of every SIGUSR1 and SIGTERM
//	                             it gets; exit 0 after SIGTERM
//	app no-handler OUT           append "ready" to OUT and block, with no signal handler
//	app tree LOCK READY CODE     start "app grandchild LOCK READY", wait until READY exists, exit
//	                             CODE without waiting for it
//	app orphan PIDFILE GO        start "app middle PIDFILE GO", wait for it, block with no signal
//	                             handler
//	app middle PIDFILE GO        start "app orphaned PIDFILE GO" and exit at once: it is orphaned
//	app orphaned PIDFILE GO PPID once orphaned (its parent is no longer PPID), write its PID as the mounted /proc sees it and its
//	                             new parent's PID to PIDFILE, one a line; exit once GO exists
//	app grandchild LOCK READY    ignore SIGTERM, hold an exclusive flock on LOCK, create READY,
//	                             block for ever
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// Report is what "app report" writes.
type Report struct {
	Argv []string `json:"argv"`
	Env  []string `json:"env"`
	Cwd  string   `json:"cwd"`
	PPID int      `json:"ppid"`
}

func main() {
	if len(os.Args) < 3 {
		fail(fmt.Errorf("usage: app MODE ARGS..."))
	}
	switch mode, args := os.Args[1], os.Args[2:]; mode {
	case "report":
		cwd, err := os.Getwd()
		check(err)
		b, err := json.Marshal(Report{Argv: os.Args, Env: os.Environ(), Cwd: cwd, PPID: os.Getppid()})
		check(err)
		check(os.WriteFile(args[0], b, 0o644))
		os.Exit(atoi(args[1]))
	case "signals":
		got := make(chan os.Signal, 8)
		signal.Notify(got, syscall.SIGUSR1, syscall.SIGTERM)
		appendLine(args[0], "ready")
		for s := range got {
			appendLine(args[0], s.String())
			if s == syscall.SIGTERM {
				os.Exit(0)
			}
		}
	case "no-handler":
		appendLine(args[0], "ready")
		block()
	case "tree":
		spawn("grandchild", args[0], args[1])
		for {
			if _, err := os.Stat(args[1]); err == nil {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		os.Exit(atoi(args[2]))
	case "orphan":
		p := spawn("middle", args[0], args[1])
		_, err := p.Wait()
		check(err)
		block()
	case "middle":
		spawn("orphaned", args[0], args[1], strconv.Itoa(os.Getpid()))
	case "orphaned":
		for strconv.Itoa(os.Getppid()) == args[2] { // the middle's PID
			time.Sleep(5 * time.Millisecond)
		}
		self, err := os.Readlink("/proc/self")
		check(err)
		check(os.WriteFile(args[0], []byte(self+"\n"+strconv.Itoa(os.Getppid())+"\n"), 0o644))
		for {
			if _, err := os.Stat(args[1]); err == nil {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	case "grandchild":
		signal.Ignore(syscall.SIGTERM)
		f, err := os.OpenFile(args[0], os.O_CREATE|os.O_RDWR, 0o644)
		check(err)
		check(syscall.Flock(int(f.Fd()), syscall.LOCK_EX))
		check(os.WriteFile(args[1], nil, 0o644))
		block()
	default:
		fail(fmt.Errorf("unknown mode %q", mode))
	}
}

// spawn starts this program again in mode with args.
func spawn(mode string, args ...string) *os.Process {
	self, err := os.Executable()
	check(err)
	p, err := os.StartProcess(self, append([]string{"app", mode}, args...),
		&os.ProcAttr{Files: []*os.File{os.Stdin, os.Stdout, os.Stderr}})
	check(err)
	return p
}

func appendLine(path, line string) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	check(err)
	_, err = f.WriteString(line + "\n")
	check(err)
	check(f.Close())
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	check(err)
	return n
}

func check(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "app: %v\n", err)
	os.Exit(99)
}

// block sleeps for ever (a bare select{} would be Go's deadlock error).
func block() {
	for {
		time.Sleep(time.Hour)
	}
}
