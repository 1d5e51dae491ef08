package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"github.com/operator-framework/api/pkg/manifests"
)

// skippedDirs are the top-level directories of build output, never copied.
var skippedDirs = map[string]bool{".git": true, "bin": true, "testbin": true, "catalog": true, "dist": true}

// copyTree copies the repository's sources (not its build output) from src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if skippedDirs[rel] {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, info.Mode().Perm())
	})
}

// readTree maps every file under dir (relative path) to its content.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[rel] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBundleIsReproducible runs `make bundle` in a copy of the repository (with this
// repository's tools, LOCALBIN) and asks for the committed bundle/ and bundle.Dockerfile,
// byte for byte: the committed bundle is what config/ generates, and generating it twice gives
// the same files.
func TestBundleIsReproducible(t *testing.T) {
	g := NewWithT(t)
	root := repoRoot(t)
	localbin := os.Getenv("LOCALBIN")
	if localbin == "" {
		localbin = filepath.Join(root, "bin")
	}
	copyDir := t.TempDir()
	g.Expect(copyTree(root, copyDir)).To(Succeed())
	g.Expect(os.RemoveAll(filepath.Join(copyDir, "bundle"))).To(Succeed())

	makeBundle(t, copyDir, "LOCALBIN="+localbin)

	fresh := readTree(t, filepath.Join(copyDir, "bundle"))
	fresh["../bundle.Dockerfile"] = readFile(t, filepath.Join(copyDir, "bundle.Dockerfile"))
	committed := readTree(t, bundleDir(t))
	committed["../bundle.Dockerfile"] = readFile(t, filepath.Join(root, "bundle.Dockerfile"))
	g.Expect(differences(committed, fresh)).To(BeEmpty(),
		"bundle/ or bundle.Dockerfile differ from a fresh `make bundle`: run it and commit the result")
}

// makeBundle runs `make bundle` with vars in dir.
func makeBundle(t *testing.T, dir string, vars ...string) {
	t.Helper()
	cmd := exec.Command("make", append([]string{"--no-print-directory", "bundle"}, vars...)...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("make bundle %v in %s: %v\n%s", vars, dir, err, out.String())
	}
}

// TestNextReleaseBundle generates the bundle the way the release after the committed one is
// cut (VERSION, PREVIOUS_VERSION, CREATED_AT, IMAGE_TAG_BASE set) and checks that the variables
// reach the CSV: name, version, upgrade edges, date, every image, and the scorecard image, each
// image named by the digest of the image tarball make bundle built.
func TestNextReleaseBundle(t *testing.T) {
	g := NewWithT(t)
	root := repoRoot(t)
	localbin := os.Getenv("LOCALBIN")
	if localbin == "" {
		localbin = filepath.Join(root, "bin")
	}
	copyDir := t.TempDir()
	g.Expect(copyTree(root, copyDir)).To(Succeed())
	makeBundle(t, copyDir, "LOCALBIN="+localbin, "VERSION=9.8.7", "PREVIOUS_VERSION=9.8.6",
		"CREATED_AT=2030-01-02T03:04:05Z", "IMAGE_TAG_BASE=registry.example/team/singleton-operator")

	b, err := manifests.GetBundleFromDir(filepath.Join(copyDir, "bundle"))
	g.Expect(err).NotTo(HaveOccurred())
	csv := b.CSV
	// The images are the ones make bundle built, named by the digests of their manifests.
	img := "registry.example/team/singleton-operator@" + tarballDigest(t,
		filepath.Join(copyDir, "bin", "bundle-images", "manager.tar"), "registry.example/team/singleton-operator:v9.8.7")
	scorecardImg := "registry.example/team/singleton-operator-scorecard-tests@" + tarballDigest(t,
		filepath.Join(copyDir, "bin", "bundle-images", "scorecard-tests.tar"), "registry.example/team/singleton-operator-scorecard-tests:v9.8.7")
	g.Expect(byDigest(img)).To(BeTrue(), img)
	g.Expect(csv.Name).To(Equal("singleton-operator.v9.8.7"))
	g.Expect(csv.Spec.Version.String()).To(Equal("9.8.7"))
	g.Expect(csv.Spec.Replaces).To(Equal("singleton-operator.v9.8.6"))
	g.Expect(csv.Annotations).To(HaveKeyWithValue("olm.skipRange", ">=9.8.6 <9.8.7"))
	g.Expect(csv.Annotations).To(HaveKeyWithValue("createdAt", "2030-01-02T03:04:05Z"))
	g.Expect(csv.Annotations).To(HaveKeyWithValue("containerImage", img))
	g.Expect(csv.Spec.RelatedImages).NotTo(BeEmpty())
	for _, ri := range csv.Spec.RelatedImages {
		g.Expect(ri.Image).To(Equal(img), ri.Name)
	}
	c := csv.Spec.InstallStrategy.StrategySpec.DeploymentSpecs[0].Spec.Template.Spec.Containers[0]
	g.Expect(c.Image).To(Equal(img))
	g.Expect(c.Env).To(ContainElement(HaveField("Value", img)))
	g.Expect(readFile(t, filepath.Join(copyDir, "bundle", "tests", "scorecard", "config.yaml"))).To(
		ContainSubstring("image: " + scorecardImg + "\n"))
}

// tarballDigest returns the manifest digest of the image an image tarball (hack/imagetool)
// names ref, from its OCI index, after checking that the manifest blob has that digest.
func tarballDigest(t *testing.T, path, ref string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if h.Name == "index.json" || strings.HasPrefix(h.Name, "blobs/") && h.Size < 1<<20 {
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[h.Name] = data
		}
	}
	var index struct {
		Manifests []struct {
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(files["index.json"], &index); err != nil {
		t.Fatalf("%s: index.json: %v", path, err)
	}
	for _, m := range index.Manifests {
		if m.Annotations["io.containerd.image.name"] != ref {
			continue
		}
		blob, ok := files["blobs/sha256/"+strings.TrimPrefix(m.Digest, "sha256:")]
		if !ok {
			t.Fatalf("%s: no manifest blob %s", path, m.Digest)
		}
		if got := fmt.Sprintf("sha256:%x", sha256.Sum256(blob)); got != m.Digest {
			t.Fatalf("%s: manifest blob has digest %s, the index says %s", path, got, m.Digest)
		}
		return m.Digest
	}
	t.Fatalf("%s names no image %s", path, ref)
	return ""
}

// TestUpgradeEdges: the committed CSV either is a first release (no replaces, no skipRange) or
// replaces the previous release and skips everything from it up to itself.
func TestUpgradeEdges(t *testing.T) {
	g := NewWithT(t)
	csv := loadBundle(t).CSV
	if csv.Spec.Replaces == "" {
		g.Expect(csv.Annotations).NotTo(HaveKey("olm.skipRange"))
		return
	}
	previous, ok := strings.CutPrefix(csv.Spec.Replaces, "singleton-operator.v")
	g.Expect(ok).To(BeTrue(), "replaces %q", csv.Spec.Replaces)
	g.Expect(csv.Annotations).To(HaveKeyWithValue("olm.skipRange", ">="+previous+" <"+csv.Spec.Version.String()))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// differences names each file that is in only one of the trees, or differs, with the first
// line that differs.
func differences(committed, fresh map[string]string) []string {
	var out []string
	for name, want := range fresh {
		got, ok := committed[name]
		if !ok {
			out = append(out, name+": not committed")
			continue
		}
		if got == want {
			continue
		}
		gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				out = append(out, fmt.Sprintf("%s:%d: committed %q, generated %q", name, i+1, g, w))
				break
			}
		}
	}
	for name := range committed {
		if _, ok := fresh[name]; !ok {
			out = append(out, name+": committed but no longer generated")
		}
	}
	sort.Strings(out)
	return out
}
