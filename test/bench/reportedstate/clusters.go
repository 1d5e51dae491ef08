package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/singleton-operator/singleton-operator/test/framework"
)

// server is a WDS or an ITS: a real kube-apiserver and etcd, clients without a client-side
// rate limit, and a kubeconfig file for the operator.
type server struct {
	*framework.APIServer
	kubeconfig []byte
	cs         kubernetes.Interface
	dyn        dynamic.Interface
}

// startServer starts an API server with the CRDs of crdDirs (relative to the repository root).
func startServer(name string, crdDirs ...string) (*server, error) {
	api, err := framework.StartAPIServer(name, crdDirs...)
	if err != nil {
		return nil, err
	}
	s := &server{APIServer: api}
	cfg := s.restConfig()
	if s.cs, err = kubernetes.NewForConfig(cfg); err == nil {
		s.dyn, err = dynamic.NewForConfig(cfg)
	}
	if err == nil {
		s.kubeconfig, err = framework.Kubeconfig(api.Config, api.Config.Host)
	}
	if err != nil {
		return nil, fmt.Errorf("clients of %s: %w", name, err)
	}
	return s, nil
}

// restConfig is the server's admin config with no client-side rate limit (system:masters is
// also exempt from the server's priority and fairness).
func (s *server) restConfig() *rest.Config {
	cfg := rest.CopyConfig(s.Config)
	cfg.QPS, cfg.Burst = -1, 0
	return cfg
}

// pids finds the server's kube-apiserver and etcd processes by their ports.
func (s *server) pids() (apiserver, etcd int) {
	cp := s.Env.ControlPlane
	if cp.APIServer != nil && cp.APIServer.Port != "" {
		apiserver = findProcess("kube-apiserver", "--secure-port="+cp.APIServer.Port)
	}
	if cp.Etcd != nil && cp.Etcd.URL != nil {
		etcd = findProcess("etcd", "--listen-client-urls="+cp.Etcd.URL.String())
	}
	return apiserver, etcd
}

// findProcess returns the pid of a process whose program name ends with prog and whose
// command line holds arg, or 0.
func findProcess(prog, arg string) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || len(raw) == 0 {
			continue
		}
		args := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
		if filepath.Base(args[0]) != prog {
			continue
		}
		for _, a := range args[1:] {
			if a == arg {
				return pid
			}
		}
	}
	return 0
}
