package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/singleton-operator/singleton-operator/test/framework"
)

var reportedStateGVR = schema.GroupVersionResource{
	Group: "kubestellar.statefulsingleton.com", Version: ksVersion, Resource: "reportedstates",
}

// operator is a controller running as a process of its own against the WDS, so that its CPU
// time and memory are its own: the operator's manager (cmd/main.go, built as it ships) or
// KubeStellar's controller-manager (kubestellar.go).
type operator struct {
	cmd        *exec.Cmd
	metricsURL string
	pprofURL   string
	started    time.Time
	exited     chan error
	// grace is how long stop waits after SIGTERM before it kills.
	grace time.Duration
}

// buildOperator builds cmd/main.go into dir.
func buildOperator(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "manager")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd")
	cmd.Dir = framework.RepoRoot()
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building the operator: %w", err)
	}
	return bin, nil
}

// configureOperator creates, in the WDS, the Secret with the ITS's kubeconfig and the
// ReportedState that connects the WDS (the cluster the operator runs in) with the ITS.
func configureOperator(ctx context.Context, wds, its *server) error {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: opsNS, Name: "its-kubeconfig"},
		Data:       map[string][]byte{keyKubeconfig: its.kubeconfig},
	}
	if _, err := wds.cs.CoreV1().Secrets(opsNS).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		return err
	}
	rs := &unstructured.Unstructured{Object: map[string]any{
		fieldAPIVersion: "kubestellar.statefulsingleton.com/v1alpha1", fieldKind: "ReportedState",
		fieldMetadata: map[string]any{fieldNamespace: opsNS, fieldName: wdsName},
		fieldSpec: map[string]any{
			"wdsName": wdsName,
			"its":     map[string]any{"kubeconfigSecretRef": map[string]any{fieldName: "its-kubeconfig"}},
		},
	}}
	_, err := wds.dyn.Resource(reportedStateGVR).Namespace(opsNS).Create(ctx, rs, metav1.CreateOptions{})
	return err
}

// startOperator runs the built manager against the WDS, its log in dir/operator.log, its
// metrics over plain HTTP on loopback (for the reconcile count only).
// memoryLimit, if not empty, is passed as the manager's Deployment passes its container's limit.
func startOperator(bin, dir string, wds *server, workers int, memoryLimit string) (*operator, error) {
	kubeconfig := filepath.Join(dir, "wds.kubeconfig")
	if err := os.WriteFile(kubeconfig, wds.kubeconfig, 0o600); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "operator.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	pprofPort, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	pprofAddr := fmt.Sprintf("127.0.0.1:%d", pprofPort)
	cmd := exec.Command(bin, "--enable-webhooks=false", "--health-probe-bind-address=0",
		"--metrics-bind-address="+addr, "--metrics-secure=false", "--pprof-bind-address="+pprofAddr,
		fmt.Sprintf("--reportedstate-workers=%d", workers))
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	if memoryLimit != "" {
		q, err := resource.ParseQuantity(memoryLimit)
		if err != nil {
			return nil, fmt.Errorf("-memory-limit: %w", err)
		}
		// The operator runs as a process, not in a container with a cgroup limit: give it the
		// soft limit it would set itself in one (cmd/main.go, setMemoryLimit).
		cmd.Env = append(cmd.Env, fmt.Sprintf("GOMEMLIMIT=%d", q.Value()/10*9))
	}
	return startProcess(cmd, logFile, "http://"+addr+"/metrics", "http://"+pprofAddr)
}

// startProcess starts cmd with its output in logFile.
func startProcess(cmd *exec.Cmd, logFile *os.File, metricsURL, pprofURL string) (*operator, error) {
	cmd.Stdout, cmd.Stderr = logFile, logFile
	op := &operator{cmd: cmd, metricsURL: metricsURL, pprofURL: pprofURL, exited: make(chan error, 1),
		grace: 30 * time.Second}
	op.started = time.Now()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, err
	}
	go func() {
		op.exited <- cmd.Wait()
		_ = logFile.Close()
	}()
	return op, nil
}

func (o *operator) pid() int { return o.cmd.Process.Pid }

// stop asks the operator to stop (SIGTERM) and waits for it.
func (o *operator) stop() error {
	_ = o.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-o.exited:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("%s exited: %w", filepath.Base(o.cmd.Path), err)
		}
		return err
	case <-time.After(o.grace):
		_ = o.cmd.Process.Kill()
		return fmt.Errorf("%s did not stop within %s; killed: %w", filepath.Base(o.cmd.Path), o.grace, <-o.exited)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}
