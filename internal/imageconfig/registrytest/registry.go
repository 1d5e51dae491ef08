// Package registrytest runs go-containerregistry's in-process registry on loopback for tests,
// optionally behind basic authentication, and pushes small images with a given ENTRYPOINT and
// CMD to it.
package registrytest

import (
	"encoding/base64"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// T is what the helpers need of a test: *testing.T, or Ginkgo's GinkgoT().
type T interface {
	Helper()
	Fatal(args ...any)
	Cleanup(f func())
}

// Registry is a registry serving on 127.0.0.1 (plain HTTP, which go-containerregistry uses
// for loopback registries).
type Registry struct {
	// Host is host:port, the registry part of image references.
	Host string
	// User and Password, when set, are required on every request.
	User, Password string
	requests       atomic.Int64
	server         *httptest.Server
}

// Start starts a registry, stopped at the test's end. With user set, every request needs
// basic authentication with user and password.
func Start(t T, user, password string) *Registry {
	t.Helper()
	r := &Registry{User: user, Password: password}
	handler := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	r.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		if r.User != "" {
			u, p, ok := req.BasicAuth()
			if !ok || u != r.User || p != r.Password {
				w.Header().Set("WWW-Authenticate", `Basic realm="registrytest"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
		}
		handler.ServeHTTP(w, req)
	}))
	t.Cleanup(r.server.Close)
	r.Host = strings.TrimPrefix(r.server.URL, "http://")
	return r
}

// Requests is how many requests the registry answered so far.
func (r *Registry) Requests() int64 { return r.requests.Load() }

// DockerConfigJSON is the .dockerconfigjson of a pull secret for this registry.
func (r *Registry) DockerConfigJSON() []byte {
	auth := base64.StdEncoding.EncodeToString([]byte(r.User + ":" + r.Password))
	return []byte(`{"auths":{"` + r.Host + `":{"username":"` + r.User + `","password":"` + r.Password +
		`","auth":"` + auth + `"}}}`)
}

// Image returns a small random image with this ENTRYPOINT and CMD.
func Image(t T, entrypoint, cmd []string) v1.Image {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg := cf.Config
	cfg.Entrypoint, cfg.Cmd = entrypoint, cmd
	cfg.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	img, err = mutate.Config(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Push pushes an image as repo:tag (repo without the registry) and returns its digest.
func (r *Registry) Push(t T, repoTag string, img v1.Image) string {
	t.Helper()
	ref, err := name.NewTag(r.Host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, r.auth()); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// PushIndex pushes an index of these images, one per platform, as repo:tag and returns its
// digest.
func (r *Registry) PushIndex(t T, repoTag string, images map[string]v1.Image) string {
	t.Helper()
	idx := v1.ImageIndex(empty.Index)
	for platform, img := range images {
		p, err := v1.ParsePlatform(platform)
		if err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: p}})
	}
	ref, err := name.NewTag(r.Host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx, r.auth()); err != nil {
		t.Fatal(err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func (r *Registry) auth() remote.Option {
	if r.User == "" {
		return remote.WithAuth(authn.Anonymous)
	}
	return remote.WithAuth(&authn.Basic{Username: r.User, Password: r.Password})
}
