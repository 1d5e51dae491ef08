package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/singleton-operator/singleton-operator/internal/gatewire"
)

func TestExitCode(t *testing.T) {
	g := NewWithT(t)
	// Wait statuses as wait(2) encodes them.
	g.Expect(exitCode(syscall.WaitStatus(7 << 8))).To(Equal(7))
	g.Expect(exitCode(syscall.WaitStatus(0))).To(Equal(0))
	g.Expect(exitCode(syscall.WaitStatus(syscall.SIGTERM))).To(Equal(143))
	g.Expect(exitCode(syscall.WaitStatus(syscall.SIGKILL))).To(Equal(137))
}

// The binaries the supervision tests run, built once.
var (
	buildOnce         sync.Once
	gateBin, appBin   string
	buildErr          error
	buildDir, _       = os.MkdirTemp("", "gate-supervise-")
	errNotRootForPID1 = errors.New("running the gate as PID 1 in a new PID namespace needs root")
)

func buildBinaries(t *testing.T) (gate, app string) {
	t.Helper()
	buildOnce.Do(func() {
		gateBin, appBin = filepath.Join(buildDir, "gate"), filepath.Join(buildDir, "bin", "app")
		for _, b := range []struct{ out, pkg string }{{gateBin, "."}, {appBin, "./testdata/app"}} {
			cmd := exec.Command("go", "build", "-o", b.out, b.pkg)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = errors.New(string(out))
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatalf("build: %v", buildErr)
	}
	return gateBin, appBin
}

func TestMain(m *testing.M) {
	// A loaded machine starts processes and shakes hands slowly: wait long for what must come.
	SetDefaultEventuallyTimeout(20 * time.Second)
	code := m.Run()
	_ = os.RemoveAll(buildDir)
	os.Exit(code)
}

// pod is one container of a pod, as the tests lay it out: its downward API volume, token and
// state directory, and a working directory.
type pod struct {
	uid                                       string
	podinfo, tokenDir, stateDir, workDir, tmp string
}

func newPod(t *testing.T, released bool) *pod {
	t.Helper()
	p := &pod{uid: "pod-uid-7", podinfo: t.TempDir(), tokenDir: t.TempDir(), stateDir: t.TempDir(), workDir: t.TempDir(), tmp: t.TempDir()}
	release := ""
	if released {
		release = p.uid
	}
	writeVolume(t, p.podinfo, "1", map[string]string{uidFile: p.uid, releaseFile: release})
	if err := os.WriteFile(filepath.Join(p.tokenDir, gatewire.TokenFile), []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// gateRun is a running "gate exec --supervise".
type gateRun struct {
	cmd    *exec.Cmd
	output *bytes.Buffer
	done   chan struct{}
}

// startGate starts the gate for p, talking to op with pin (a hex CA hash), with argv after
// "--", as PID 1 of a new PID namespace when asPID1. Its PATH holds only the app's directory
// (no shell anywhere), its environment only PATH and FOO.
func startGate(t *testing.T, p *pod, op *testOperator, pin string, asPID1 bool, argv ...string) *gateRun {
	t.Helper()
	gate, app := buildBinaries(t)
	args := []string{"exec", "--podinfo", p.podinfo}
	if op != nil {
		args = append(args, gatewire.FlagSupervise, gatewire.FlagContainer, "app", gatewire.FlagOperator, op.url(),
			gatewire.FlagServerName, testServerName, gatewire.FlagCASHA256, pin,
			"--state-dir", p.stateDir, "--token-dir", p.tokenDir)
	} else {
		args = append(args, gatewire.FlagSupervise)
	}
	cmd := exec.Command(gate, append(append(args, "--"), argv...)...)
	cmd.Dir = p.workDir
	cmd.Env = []string{"PATH=" + filepath.Dir(app), "FOO=a b,c"}
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so that the clean-up ends whatever it left behind (a gate that is
	// not PID 1 leaves orphans to the machine).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if asPID1 {
		cmd.SysProcAttr.Cloneflags = syscall.CLONE_NEWPID
	}
	cmd.WaitDelay = 5 * time.Second // a descendant left holding the output pipe
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &gateRun{cmd: cmd, output: out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-r.done
		if t.Failed() {
			t.Logf("gate's output:\n%s", out.String())
		}
	})
	return r
}

// exitCode waits for the gate's exit and returns its status.
func (r *gateRun) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("the gate did not exit; its output:\n%s", r.output.String())
	}
	return r.cmd.ProcessState.ExitCode()
}

func (r *gateRun) signal(t *testing.T, s syscall.Signal) {
	t.Helper()
	if err := r.cmd.Process.Signal(s); err != nil {
		t.Fatal(err)
	}
}

// lines reads a file of lines (absent: none).
func lines(path string) func() []string {
	return func() []string {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		var l []string
		for _, s := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			l = append(l, string(s))
		}
		return l
	}
}

// report is what "app report" writes (testdata/app).
type report struct {
	Argv []string `json:"argv"`
	Env  []string `json:"env"`
	Cwd  string   `json:"cwd"`
	PPID int      `json:"ppid"`
}

func TestSupervisedAsPID1(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip(errNotRootForPID1)
	}
	ca := newTestCA(t, "operator CA")
	// Arguments as in the benchmark of docs/gate.md: spaces, quotes, commas, flags, "--", "".
	tricky := []string{"a b", `"q"`, "it's", "x,y", "--flag=1", "--", ""}

	t.Run("argv, environment, working directory and exit code; released by a push; the exit reported", func(t *testing.T) {
		g := NewWithT(t)
		p := newPod(t, false)
		op := newTestOperator(t, ca, p.uid)
		out := filepath.Join(p.tmp, "report.json")
		r := startGate(t, p, op, ca.sha256, true, append([]string{"app", "report", out, "7"}, tricky...)...)

		g.Eventually(op.Hellos).Should(Equal([]gatewire.Hello{{Container: "app", Start: 1}}))
		g.Expect(out).NotTo(BeAnExistingFile(), "held until the release")
		op.push()
		g.Expect(r.exitCode(t)).To(Equal(7))

		var got report
		b, err := os.ReadFile(out)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(json.Unmarshal(b, &got)).To(Succeed())
		g.Expect(got.Argv).To(Equal(append([]string{"app", "report", out, "7"}, tricky...)), "argv[0] as given")
		g.Expect(got.Env).To(Equal(r.cmd.Env), "the gate adds nothing to the environment")
		g.Expect(got.Cwd).To(Equal(p.workDir))
		g.Expect(got.PPID).To(Equal(1), "the gate is PID 1, the application its child")

		g.Expect(op.Exits()).To(Equal([]gatewire.ExitReport{{Session: "s-1", Container: "app", Start: 1, ExitCode: 7}}))
		g.Expect(os.ReadFile(filepath.Join(p.stateDir, "app"+startsSuffix))).To(Equal([]byte("1\n")))
		g.Expect(markerPath(p.stateDir, "app")).To(BeAnExistingFile())
	})

	t.Run("the rest of the tree is killed and reaped before the exit is reported", func(t *testing.T) {
		g := NewWithT(t)
		p := newPod(t, true)
		op := newTestOperator(t, ca, p.uid)
		lock, ready := filepath.Join(p.tmp, "lock"), filepath.Join(p.tmp, "ready")
		treeGone := make(chan bool, 1)
		op.setOnExit(func(gatewire.ExitReport) {
			// The grandchild holds an exclusive lock until it dies, and ignores SIGTERM.
			f, err := os.OpenFile(lock, os.O_RDWR, 0)
			if err != nil {
				treeGone <- false
				return
			}
			defer func() { _ = f.Close() }()
			treeGone <- syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
		})
		r := startGate(t, p, op, ca.sha256, true, "app", "tree", lock, ready, "3")
		g.Expect(r.exitCode(t)).To(Equal(3))
		g.Expect(ready).To(BeAnExistingFile(), "the grandchild ran")
		g.Expect(treeGone).To(Receive(BeTrue()), "at the report, the grandchild was gone")
		g.Expect(op.Exits()).To(HaveLen(1))
	})

	t.Run("orphans are reaped while the application runs", func(t *testing.T) {
		g := NewWithT(t)
		p := newPod(t, true)
		r := startGate(t, p, newTestOperator(t, ca, p.uid), ca.sha256, true, "app", "orphan", filepath.Join(p.tmp, "pid"), filepath.Join(p.tmp, "go"))
		orphanReaped(t, p, 1)
		r.signal(t, syscall.SIGTERM)
		g.Expect(r.exitCode(t)).To(Equal(143))
	})

	t.Run("SIGTERM while held: exit 0, the application never runs", func(t *testing.T) {
		g := NewWithT(t)
		p := newPod(t, false)
		op := newTestOperator(t, ca, p.uid)
		out := filepath.Join(p.tmp, "report.json")
		r := startGate(t, p, op, ca.sha256, true, "app", "report", out, "5")
		g.Eventually(op.Hellos).ShouldNot(BeEmpty())
		r.signal(t, syscall.SIGTERM)
		g.Expect(r.exitCode(t)).To(Equal(0))
		g.Expect(out).NotTo(BeAnExistingFile())
		g.Expect(op.Exits()).To(BeEmpty(), "nothing ran, nothing to report")
	})

	t.Run("signals are forwarded; SIGTERM with a handler exits 0", func(t *testing.T) {
		g := NewWithT(t)
		p := newPod(t, true)
		op := newTestOperator(t, ca, p.uid)
		out := filepath.Join(p.tmp, "signals")
		r := startGate(t, p, op, ca.sha256, true, "app", "signals", out)
		g.Eventually(lines(out)).Should(Equal([]string{"ready"}))
		r.signal(t, syscall.SIGUSR1)
		g.Eventually(lines(out)).Should(Equal([]string{"ready", "user defined signal 1"}))
		r.signal(t, syscall.SIGTERM)
		g.Expect(r.exitCode(t)).To(Equal(0))
		g.Expect(lines(out)()).To(Equal([]string{"ready", "user defined signal 1", "terminated"}))
		g.Expect(op.Exits()).To(ConsistOf(HaveField("ExitCode", 0)))
	})

	t.Run("an application with no SIGTERM handler dies of it: 143", func(t *testing.T) {
		g := NewWithT(t)
		p := newPod(t, true)
		op := newTestOperator(t, ca, p.uid)
		out := filepath.Join(p.tmp, "ready")
		r := startGate(t, p, op, ca.sha256, true, "app", "no-handler", out)
		g.Eventually(lines(out)).Should(Equal([]string{"ready"}))
		r.signal(t, syscall.SIGTERM)
		g.Expect(r.exitCode(t)).To(Equal(143))
		g.Expect(op.Exits()).To(ConsistOf(HaveField("ExitCode", 143)))
	})

	t.Run("after a reported exit, the next start waits for the operator's word", func(t *testing.T) {
		g := NewWithT(t)
		p := newPod(t, true)
		op := newTestOperator(t, ca, p.uid)
		g.Expect(os.WriteFile(filepath.Join(p.stateDir, "app"+startsSuffix), []byte("1\n"), 0o644)).To(Succeed())
		g.Expect(writeMarker(p.stateDir, "app", 1)).To(Succeed())
		op.setAllow(false)
		out := filepath.Join(p.tmp, "report.json")
		r := startGate(t, p, op, ca.sha256, true, "app", "report", out, "0")

		g.Eventually(op.Starts).Should(ContainElement(gatewire.StartRequest{Session: "s-1", Container: "app", Start: 2}))
		g.Expect(out).NotTo(BeAnExistingFile(), "refused: the application does not start")
		op.setAllow(true)
		g.Expect(r.exitCode(t)).To(Equal(0))
		g.Expect(out).To(BeAnExistingFile())
		g.Expect(op.Exits()).To(Equal([]gatewire.ExitReport{{Session: "s-1", Container: "app", Start: 2, ExitCode: 0}}))
		g.Expect(os.ReadFile(markerPath(p.stateDir, "app"))).To(Equal([]byte("2\n")), "this start's own marker")
	})

	t.Run("SIGTERM while waiting for the operator's word: exit 0, the application never runs", func(t *testing.T) {
		g := NewWithT(t)
		p := newPod(t, true)
		op := newTestOperator(t, ca, p.uid)
		g.Expect(writeMarker(p.stateDir, "app", 1)).To(Succeed())
		op.setAllow(false)
		out := filepath.Join(p.tmp, "report.json")
		r := startGate(t, p, op, ca.sha256, true, "app", "report", out, "5")
		g.Eventually(op.Starts).ShouldNot(BeEmpty())
		r.signal(t, syscall.SIGTERM)
		g.Expect(r.exitCode(t)).To(Equal(0))
		g.Expect(out).NotTo(BeAnExistingFile())
		g.Expect(markerPath(p.stateDir, "app")).To(BeAnExistingFile(), "kept for the next start")
	})

	t.Run("an operator whose certificate another CA signed gets nothing; the application runs on the file's release", func(t *testing.T) {
		g := NewWithT(t)
		p := newPod(t, true)
		op := newTestOperator(t, newTestCA(t, "impostor CA"), p.uid)
		out := filepath.Join(p.tmp, "report.json")
		began := time.Now()
		r := startGate(t, p, op, ca.sha256, true, "app", "report", out, "5")
		g.Expect(r.exitCode(t)).To(Equal(5))
		g.Expect(time.Since(began)).To(BeNumerically("<", exitReportTimeout+5*time.Second), "the report gives up")
		g.Expect(out).To(BeAnExistingFile())
		g.Expect(op.Requests()).To(BeZero())
		g.Expect(r.output.String()).To(ContainSubstring("does not hold the pinned CA"))
		g.Expect(markerPath(p.stateDir, "app")).NotTo(BeAnExistingFile(), "no report sent: the next start need not register")
	})
}

func TestSupervisedNotPID1(t *testing.T) {
	ca := newTestCA(t, "operator CA")

	t.Run("supervises, returns the status, reports nothing", func(t *testing.T) {
		g := NewWithT(t)
		p := newPod(t, true)
		op := newTestOperator(t, ca, p.uid)
		out := filepath.Join(p.tmp, "report.json")
		r := startGate(t, p, op, ca.sha256, false, "app", "report", out, "4")
		g.Expect(r.exitCode(t)).To(Equal(4))
		var got report
		b, err := os.ReadFile(out)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(json.Unmarshal(b, &got)).To(Succeed())
		g.Expect(got.PPID).To(Equal(r.cmd.Process.Pid), "the gate is the parent")
		g.Expect(op.Exits()).To(BeEmpty())
		g.Expect(markerPath(p.stateDir, "app")).NotTo(BeAnExistingFile())
		g.Expect(r.output.String()).To(ContainSubstring("not PID 1"))
	})

	t.Run("without the channel: supervision only", func(t *testing.T) {
		g := NewWithT(t)
		p := newPod(t, true)
		out := filepath.Join(p.tmp, "signals")
		r := startGate(t, p, nil, "", false, "app", "signals", out)
		g.Eventually(lines(out)).Should(Equal([]string{"ready"}))
		r.signal(t, syscall.SIGTERM)
		g.Expect(r.exitCode(t)).To(Equal(0))
		g.Expect(lines(out)()).To(Equal([]string{"ready", "terminated"}))
	})

	t.Run("a subreaper: orphans are reaped", func(t *testing.T) {
		g := NewWithT(t)
		p := newPod(t, true)
		r := startGate(t, p, nil, "", false, "app", "orphan", filepath.Join(p.tmp, "pid"), filepath.Join(p.tmp, "go"))
		orphanReaped(t, p, r.cmd.Process.Pid)
		r.signal(t, syscall.SIGTERM)
		g.Expect(r.exitCode(t)).To(Equal(143))
	})

	t.Run("a command not found: 127", func(t *testing.T) {
		g := NewWithT(t)
		p := newPod(t, true)
		r := startGate(t, p, nil, "", false, "no-such-app-"+strconv.Itoa(os.Getpid()))
		g.Expect(r.exitCode(t)).To(Equal(exitNotFound))
	})
}

// orphanReaped waits for the orphan of "app orphan" to say its PID, lets it exit, and checks
// that the gate (its PID in the orphan's namespace: gatePID) adopted and reaped it: its /proc
// entry goes (an unreaped zombie keeps it).
func orphanReaped(t *testing.T, p *pod, gatePID int) {
	t.Helper()
	g := NewWithT(t)
	pidFile := filepath.Join(p.tmp, "pid")
	g.Eventually(lines(pidFile)).Should(HaveLen(2))
	g.Expect(lines(pidFile)()[1]).To(Equal(strconv.Itoa(gatePID)), "the gate adopted the orphan")
	proc := "/proc/" + lines(pidFile)()[0]
	g.Expect(proc).To(BeADirectory())
	g.Expect(os.WriteFile(filepath.Join(p.tmp, "go"), nil, 0o644)).To(Succeed())
	g.Eventually(func() bool { _, err := os.Stat(proc); return os.IsNotExist(err) }).Should(BeTrue(), "the orphan is reaped")
}
