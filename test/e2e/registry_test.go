//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The registries the specs of containers without a command read their images from
// (docs/gate.md, "Containers without a command"): go-containerregistry's registry, served over
// TLS by this process on the node's address, inside the cluster's network namespace, with the
// certificate of the CA that hack/e2e-registry-tls.sh made and hack/test-e2e.sh gave the
// operator (SSL_CERT_DIR). The operator reads a tag's digest and the image's ENTRYPOINT and CMD
// from it, as it would from any registry.
//
// The kubelet does not pull from it: the cluster's containerd trusts no CA of ours (its
// registry configuration lives in its config file, which only a restart of the shared cluster's
// containerd would change). The images are pulled into it beforehand instead, by ctr, from this
// registry, with the CA: containerd then holds the very manifests the registry serves, under
// the tag and under repository@digest, the reference the webhook pins a pod to, which the
// kubelet (imagePullPolicy IfNotPresent) finds there.

// containerdSocket is the local cluster's containerd (hack/cluster/layout.sh CONTAINERD_SOCK).
var containerdSocket = envOr("E2E_CONTAINERD_SOCK", "/run/singleton-operator/containerd/containerd.sock")

// registryPort and privateRegistryPort are fixed, so that every run names the same references in
// the node's containerd (which keeps them) rather than adding its own; the suites that share the
// cluster run one at a time (hack/test-e2e.sh holds the cluster's lock).
const (
	registryPort        = "5443"
	privateRegistryPort = "5444"
)

// privateRegistryUser is the user the private registry lets in, with a password drawn for the
// run.
const privateRegistryUser = "e2e"

// registryImages are the images the registry serves, pulled into the node's containerd.
type registryImages struct {
	// Host is the registry's host:port.
	Host string
	// Busybox is localhost/busybox:1.35 as the registry serves it, by tag (no ENTRYPOINT,
	// CMD ["sh"]).
	Busybox string
	// App is busybox whose ENTRYPOINT is appScript, with appCmd as its CMD, by tag; AppDigest is
	// its manifest's digest.
	App, AppDigest string
	// Unreadable names a repository the registry does not have, which the node holds (the App
	// image tagged there): the operator cannot read it, the kubelet runs it.
	Unreadable string
	// Private is the App image in a second registry, at PrivateHost, that answers only requests
	// with the basic credentials privateRegistryUser and PrivatePassword; PrivateDigest is its
	// manifest's digest.
	Private, PrivateHost, PrivateDigest, PrivatePassword string

	// transport trusts the registries' CA, whose certificate is caFile.
	transport http.RoundTripper
	caFile    string
}

// appScript is the ENTRYPOINT of the App image: it prints each of its arguments between < and >,
// reports its start and stop to the ledger at $LEDGER (the container's environment), and sleeps.
// The image's "$" reach the shell only if the webhook escapes them for the kubelet.
var appScript = `for a in "$@"; do echo "<$a>"; done
` + reportingScript("$LEDGER")

// appCmd is the CMD of the App image: $0 of the script, then arguments the operator must pass
// through unchanged, with an image word the kubelet must not expand.
var appCmd = append(append([]string{}, awkwardArgs...), "$(HOSTNAME)")

// appArgsPrinted is what appScript prints for appCmd.
func appArgsPrinted() string {
	want := ""
	for _, a := range appCmd[1:] {
		want += "<" + a + ">\n"
	}
	return want
}

// onFirstUse holds what a function made the first time it succeeded; a failure is not kept, so
// that the next spec tries again.
type onFirstUse[T any] struct {
	mu   sync.Mutex
	made *T
}

func (o *onFirstUse[T]) get(build func() (T, error)) T {
	GinkgoHelper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.made == nil {
		v, err := build()
		Expect(err).NotTo(HaveOccurred())
		o.made = &v
	}
	return *o.made
}

var registryServed onFirstUse[registryImages]

// e2eRegistry starts the registry and pushes and pulls its images on first use; the registry
// serves until the suite's process ends.
func e2eRegistry(ctx context.Context) registryImages {
	GinkgoHelper()
	return registryServed.get(func() (registryImages, error) { return startRegistry(ctx) })
}

func startRegistry(ctx context.Context) (r registryImages, err error) {
	dir := os.Getenv("E2E_REGISTRY_TLS")
	if dir == "" {
		return registryImages{}, errors.New("E2E_REGISTRY_TLS names the registry's TLS material; run the suite with `make test-e2e`")
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"))
	if err != nil {
		return registryImages{}, err
	}
	r.PrivatePassword = rand.Text()
	var servers []*http.Server
	defer func() {
		if err != nil {
			for _, srv := range servers {
				_ = srv.Close() // the ports are free for the next spec's try
			}
		}
	}()
	for port, handler := range map[string]http.Handler{
		registryPort:        registry.New(registry.Logger(log.New(io.Discard, "", 0))),
		privateRegistryPort: basicAuth(privateRegistryUser, r.PrivatePassword, registry.New(registry.Logger(log.New(io.Discard, "", 0)))),
	} {
		listener, err := net.Listen("tcp", net.JoinHostPort(nodeIP, port))
		if err != nil {
			return r, fmt.Errorf("listening on the node IP (run the suite in the cluster's network namespace): %w", err)
		}
		srv := &http.Server{
			Handler:           handler,
			TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
			ReadHeaderTimeout: 10 * time.Second,
		}
		go func() { _ = srv.ServeTLS(listener, "", "") }()
		servers = append(servers, srv)
	}
	r.Host = net.JoinHostPort(nodeIP, registryPort)
	r.PrivateHost = net.JoinHostPort(nodeIP, privateRegistryPort)
	caFile := filepath.Join(dir, "ca.crt")
	pool, err := certPool(caFile)
	if err != nil {
		return r, err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	r.transport, r.caFile = transport, caFile

	busybox, done, err := containerdImage(ctx, busyboxImage)
	if err != nil {
		return r, err
	}
	defer done()
	cf, err := busybox.ConfigFile()
	if err != nil {
		return r, err
	}
	cfg := cf.Config
	cfg.Entrypoint, cfg.Cmd = []string{"/bin/sh", "-c", appScript}, appCmd
	app, err := mutate.Config(busybox, cfg)
	if err != nil {
		return r, err
	}

	r.Busybox = r.Host + "/busybox:1.35"
	r.App = r.Host + "/app:1.0"
	r.Unreadable = r.Host + "/not-in-the-registry/app:1.0"
	r.Private = r.PrivateHost + "/app:1.0"
	for ref, img := range map[string]v1.Image{r.Busybox: busybox, r.App: app, r.Private: app} {
		var auth authn.Authenticator
		if ref == r.Private {
			auth = &authn.Basic{Username: privateRegistryUser, Password: r.PrivatePassword}
		}
		digest, err := r.serve(ctx, ref, img, auth)
		if err != nil {
			return r, err
		}
		switch ref {
		case r.App:
			r.AppDigest = digest
		case r.Private:
			r.PrivateDigest = digest
		}
	}
	if out, err := ctr(ctx, "images", "tag", "--force", r.App, r.Unreadable); err != nil {
		return r, fmt.Errorf("ctr images tag %s: %w: %s", r.Unreadable, err, out)
	}
	GinkgoWriter.Printf("registry: serving %s (%s) and %s at https://%s, %s at https://%s (basic auth), "+
		"pulled into the node's containerd\n", r.App, r.AppDigest, r.Busybox, r.Host, r.Private, r.PrivateHost)
	return r, nil
}

// serve pushes the image to the registry as ref (with auth, when not nil) and pulls it into the
// node's containerd by tag and by digest, the reference the webhook pins a pod to; it returns
// the manifest's digest.
func (r *registryImages) serve(ctx context.Context, ref string, img v1.Image, auth authn.Authenticator) (string, error) {
	tag, err := name.NewTag(ref)
	if err != nil {
		return "", err
	}
	opts := []remote.Option{remote.WithTransport(r.transport), remote.WithContext(ctx)}
	pullOpts := []string{"--tlscacert", r.caFile}
	if basic, ok := auth.(*authn.Basic); ok {
		opts = append(opts, remote.WithAuth(auth))
		pullOpts = append(pullOpts, "--user", basic.Username+":"+basic.Password)
	}
	if err := remote.Write(tag, img, opts...); err != nil {
		return "", fmt.Errorf("pushing %s: %w", ref, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return "", err
	}
	for _, pull := range []string{ref, tag.Context().Name() + "@" + digest.String()} {
		if out, err := ctr(ctx, append(append([]string{"images", "pull"}, pullOpts...), pull)...); err != nil {
			return "", fmt.Errorf("ctr images pull %s: %w: %s", pull, err, out)
		}
	}
	return digest.String(), nil
}

// basicAuth answers 401 with a Basic challenge to every request without the credentials given,
// as a private registry does.
func basicAuth(user, password string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		u, p, ok := req.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(user)) != 1 ||
			subtle.ConstantTimeCompare([]byte(p), []byte(password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="e2e private registry"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, req)
	})
}

// containerdImage reads an image of the node's containerd, as `ctr images export` writes it;
// done removes the export, which the image reads from until then.
func containerdImage(ctx context.Context, ref string) (img v1.Image, done func(), err error) {
	f, err := os.CreateTemp("", "e2e-image-*.tar")
	if err != nil {
		return nil, nil, err
	}
	_ = f.Close()
	done = func() { _ = os.Remove(f.Name()) }
	if out, err := ctr(ctx, "images", "export", f.Name(), ref); err != nil {
		done()
		return nil, nil, fmt.Errorf("ctr images export %s: %w: %s", ref, err, out)
	}
	img, err = tarball.ImageFromPath(f.Name(), nil)
	if err != nil {
		done()
		return nil, nil, err
	}
	return img, done, nil
}

// certPool is a pool of the certificates of a PEM file.
func certPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", file)
	}
	return pool, nil
}

// ctr runs containerd's client on the node's containerd, in the Kubernetes namespace.
func ctr(ctx context.Context, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, "ctr", append([]string{"--address", containerdSocket, "--namespace", "k8s.io",
		"--connect-timeout", "5s"}, args...)...).CombinedOutput()
}
