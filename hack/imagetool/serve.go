package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// registryContent is what `imagetool serve` serves: manifests by repository and tag or digest,
// and every blob by digest, read from image tarballs written by `imagetool build`.
type registryContent struct {
	manifests map[string]map[string]string // repository -> tag or digest -> manifest digest
	mediaType map[string]string            // manifest digest -> media type
	blobs     map[string][]byte            // digest -> content
}

// runServe serves image tarballs as a read-only registry (the distribution API's pulls, over
// plain HTTP) until it is stopped: for tools that read images only from a registry, such as
// `opm alpha render-template`, on a machine without one. Each image is served under the
// repository and tags its tarball's OCI index names; the registry host of those names is not
// checked (run it where that host resolves to the listening address).
func runServe(args []string) error {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fl.String("addr", "127.0.0.1:5000", "address to listen on")
	ready := fl.String("ready-file", "", "a file to create once the registry listens")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		return errors.New("serve: want image tarballs")
	}
	content, err := loadRegistryContent(fl.Args())
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if *ready != "" {
		if err := os.WriteFile(*ready, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			return err
		}
	}
	log.SetFlags(0)
	return http.Serve(ln, content)
}

func loadRegistryContent(tarballs []string) (*registryContent, error) {
	c := &registryContent{
		manifests: map[string]map[string]string{},
		mediaType: map[string]string{},
		blobs:     map[string][]byte{},
	}
	for _, path := range tarballs {
		files, err := readTarFiles(path, func(n string) bool {
			return n == "index.json" || strings.HasPrefix(n, "blobs/")
		})
		if err != nil {
			return nil, err
		}
		images, ok, err := readArchiveIndex(path)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%s has no OCI index: build it with imagetool build", path)
		}
		for f, data := range files {
			if rest, ok := strings.CutPrefix(f, "blobs/"); ok {
				alg, hex, _ := strings.Cut(rest, "/")
				c.blobs[alg+":"+hex] = data
			}
		}
		for _, im := range images {
			c.mediaType[im.digest] = manifestMediaType(c.blobs[im.digest])
			for _, n := range im.names {
				ref, err := name.ParseReference(n, name.WeakValidation)
				if err != nil {
					return nil, fmt.Errorf("%s: %q: %w", path, n, err)
				}
				repo := ref.Context().RepositoryStr()
				if c.manifests[repo] == nil {
					c.manifests[repo] = map[string]string{}
				}
				c.manifests[repo][ref.Identifier()] = im.digest
				c.manifests[repo][im.digest] = im.digest
			}
		}
	}
	return c, nil
}

// manifestMediaType is the mediaType field of a manifest.
func manifestMediaType(manifest []byte) string {
	const key = `"mediaType":"`
	s := string(manifest)
	if i := strings.Index(s, key); i >= 0 {
		if j := strings.IndexByte(s[i+len(key):], '"'); j >= 0 {
			return s[i+len(key) : i+len(key)+j]
		}
	}
	return "application/vnd.oci.image.manifest.v1+json"
}

// ServeHTTP answers GET and HEAD of /v2/, /v2/<repo>/manifests/<ref> and /v2/<repo>/blobs/<digest>.
func (c *registryContent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log.Printf("%s %s", r.Method, r.URL.Path)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "read-only registry", http.StatusMethodNotAllowed)
		return
	}
	p, ok := strings.CutPrefix(r.URL.Path, "/v2/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if p == "" {
		w.WriteHeader(http.StatusOK)
		return
	}
	var digest, mediaType string
	if i := strings.LastIndex(p, "/manifests/"); i >= 0 {
		digest = c.manifests[p[:i]][p[i+len("/manifests/"):]]
		mediaType = c.mediaType[digest]
	} else if i := strings.LastIndex(p, "/blobs/"); i >= 0 {
		digest = p[i+len("/blobs/"):]
		mediaType = "application/octet-stream"
	}
	data, ok := c.blobs[digest]
	if digest == "" || !ok {
		http.Error(w, `{"errors":[{"code":"NAME_UNKNOWN"}]}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Docker-Content-Digest", digest)
	w.Header().Set("Content-Length", fmt.Sprint(len(data)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(data)
	}
}
