// Command reportedstate-demo shows KubeStellar reported state in `make run` (hack/run-local.sh):
// it starts a KubeStellar WDS and an ITS as local API servers (the binaries of
// hack/build-kube.sh, in KUBEBUILDER_ASSETS), KubeStellar's own binding controller (its
// controller-manager, built by hack/build-kubestellar.sh, run with --controllers=binding and
// finding both spaces through KubeFlex ControlPlanes, as in a real install), two sample
// BindingPolicies (one Deployment on one WEC with singleton reported state, one on three WECs
// with multi-WEC reported state) and the WorkStatuses that the WECs would report. It writes
// its pid, wds.kubeconfig and its.kubeconfig into --dir, then the file ready, and keeps everything running
// until SIGINT or SIGTERM, when it stops what it started.
//
// The operator is not started here: make run points it at these two spaces with the sample
// ReportedState (config/samples/kubestellar_v1alpha1_reportedstate.yaml).
//
// Usage:
//
//	reportedstate-demo --dir DIR --kubestellar PATH
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

func main() {
	dir := flag.String("dir", "", "directory for wds.kubeconfig, its.kubeconfig and ready")
	ks := flag.String("kubestellar", "", "KubeStellar's controller-manager binary (hack/build-kubestellar.sh)")
	flag.Parse()
	if *dir == "" || *ks == "" {
		fmt.Fprintln(os.Stderr, "usage: reportedstate-demo --dir DIR --kubestellar PATH")
		os.Exit(2)
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr)))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, *dir, *ks)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "reportedstate-demo:", err)
		os.Exit(1)
	}
}

// run starts the demo, waits for the signal, and stops it; every start is undone on the way out.
func run(ctx context.Context, dir, ksBinary string) (err error) {
	var undo []func() error
	defer func() {
		for i := len(undo) - 1; i >= 0; i-- {
			err = errors.Join(err, undo[i]())
		}
	}()
	// Whoever stops the demo signals this process, not a wrapper (hack/cluster.sh exec).
	if err := os.WriteFile(filepath.Join(dir, "pid"), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return err
	}
	spaces, err := startSpaces()
	if spaces != nil {
		undo = append(undo, spaces.stop)
	}
	if err != nil {
		return err
	}
	setupCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := spaces.writeKubeconfigs(dir); err != nil {
		return err
	}
	if err := spaces.addControlPlanes(setupCtx); err != nil {
		return err
	}
	stopKS, err := startBindingController(ksBinary, filepath.Join(dir, "wds.kubeconfig"))
	if err != nil {
		return err
	}
	undo = append(undo, stopKS)
	if err := spaces.addSample(setupCtx); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "ready"), nil, 0o600); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "reportedstate-demo: the WDS, the ITS, KubeStellar's binding controller and the sample run")
	<-ctx.Done()
	return nil
}
