package framework

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/singleton-operator/singleton-operator/internal/scheme"
)

// APIServer is a real kube-apiserver with its own etcd, started for a test. Several can run
// at once, for example a KubeStellar WDS and an ITS.
type APIServer struct {
	// Name tells the servers of one test apart in messages.
	Name   string
	Env    *envtest.Environment
	Config *rest.Config
	Client client.Client
}

// StartAPIServer starts a kube-apiserver and etcd from the binaries in KUBEBUILDER_ASSETS
// (built by hack/build-kube.sh) and installs the CRDs found in crdDirs, relative to the
// repository root.
func StartAPIServer(name string, crdDirs ...string) (*APIServer, error) {
	return start(name, nil, crdDirs)
}

// StartAPIServerWithWebhooks is StartAPIServer, and it also installs the webhook
// configurations found in webhookDirs (relative to the repository root), rewritten to call a
// webhook server on this machine: serve them with a manager whose webhook server takes its
// host, port and certificate directory from Env.WebhookInstallOptions.
func StartAPIServerWithWebhooks(name string, webhookDirs []string, crdDirs ...string) (*APIServer, error) {
	return start(name, webhookDirs, crdDirs)
}

func start(name string, webhookDirs, crdDirs []string) (*APIServer, error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return nil, errors.New("KUBEBUILDER_ASSETS is not set: run the integration tests with " +
			"`make test-integration`, which builds kube-apiserver and etcd with hack/build-kube.sh")
	}
	paths := make([]string, 0, len(crdDirs))
	for _, dir := range crdDirs {
		paths = append(paths, filepath.Join(RepoRoot(), dir))
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     paths,
		ErrorIfCRDPathMissing: true,
		Scheme:                scheme.New(),
	}
	for _, dir := range webhookDirs {
		env.WebhookInstallOptions.Paths = append(env.WebhookInstallOptions.Paths, filepath.Join(RepoRoot(), dir))
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting API server %q: %w", name, err)
	}
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("creating a client for API server %q: %w", name, err), env.Stop())
	}
	return &APIServer{Name: name, Env: env, Config: cfg, Client: c}, nil
}

// Stop stops the API server and its etcd.
func (s *APIServer) Stop() error {
	if err := s.Env.Stop(); err != nil {
		return fmt.Errorf("stopping API server %q: %w", s.Name, err)
	}
	return nil
}

// RepoRoot is the root of the repository that holds this file.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
