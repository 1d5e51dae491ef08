package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// startBindingController runs KubeStellar's controller-manager with only its binding controller
// (--controllers=binding, as docs/reported-state.md asks beside this operator), finding the WDS
// and the ITS through the KubeFlex ControlPlanes in the cluster wdsKubeconfig names. Its log goes
// to kubestellar.log beside the kubeconfig; its ports are ephemeral and its health probe off.
// The returned function stops it as the kubelet would: SIGTERM, then SIGKILL (on SIGTERM it
// cancels its work but does not exit).
func startBindingController(binary, wdsKubeconfig string) (stop func() error, err error) {
	logFile, err := os.Create(filepath.Join(filepath.Dir(wdsKubeconfig), "kubestellar.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, "--controllers=binding", "--wds-name="+wdsName, "--its-name="+itsName,
		"--api-groups=", "--metrics-bind-address=127.0.0.1:0", "--pprof-bind-address=127.0.0.1:0",
		"--health-probe-bind-address=", "-v=2")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+wdsKubeconfig)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting KubeStellar's controller-manager: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	return func() error {
		defer func() { _ = logFile.Close() }()
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		return nil
	}, nil
}
