//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	. "github.com/onsi/ginkgo/v2"
)

// benchAppImages are the references of the hand-over benchmark's application image
// (test/bench/app, built by hack/test-e2e.sh): the static program alone in the image, its
// ENTRYPOINT, no shell. Image is served by the suite's registry and pulled into the node's
// containerd: the operator reads its ENTRYPOINT. Unreadable is the same image in the node under
// a repository the registry does not have: the operator cannot read it, the kubelet runs it.
type benchAppImages struct{ Image, Unreadable string }

var benchAppServed onFirstUse[benchAppImages]

// benchApp builds, serves and pulls the benchmark's application image on first use.
func benchApp(ctx context.Context) benchAppImages {
	GinkgoHelper()
	registry := e2eRegistry(ctx)
	return benchAppServed.get(func() (benchAppImages, error) { return serveBenchApp(ctx, registry) })
}

func serveBenchApp(ctx context.Context, r registryImages) (benchAppImages, error) {
	bin := os.Getenv("E2E_BENCH_APP")
	if bin == "" {
		return benchAppImages{}, errors.New("E2E_BENCH_APP names the benchmark's application; run it with `make bench-handover`")
	}
	img, err := singleBinaryImage(bin, "/app")
	if err != nil {
		return benchAppImages{}, err
	}
	images := benchAppImages{Image: r.Host + "/bench-app:1.0", Unreadable: r.Host + "/not-in-the-registry/bench-app:1.0"}
	if _, err := r.serve(ctx, images.Image, img, nil); err != nil {
		return images, err
	}
	if out, err := ctr(ctx, "images", "tag", "--force", images.Image, images.Unreadable); err != nil {
		return images, fmt.Errorf("ctr images tag %s: %w: %s", images.Unreadable, err, out)
	}
	return images, nil
}

// singleBinaryImage is an image of one layer holding the file bin at path, executable, which is
// its ENTRYPOINT.
func singleBinaryImage(bin, path string) (v1.Image, error) {
	content, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	var archive bytes.Buffer
	tw := tar.NewWriter(&archive)
	if err := tw.WriteHeader(&tar.Header{Name: path[1:], Mode: 0o755, Size: int64(len(content)),
		Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(content); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(archive.Bytes())), nil
	})
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.Entrypoint = []string{path}
	return mutate.ConfigFile(img, cf)
}
