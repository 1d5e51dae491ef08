package bundle

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
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

	cmd := exec.Command("make", "--no-print-directory", "bundle", "LOCALBIN="+localbin)
	cmd.Dir = copyDir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	g.Expect(cmd.Run()).To(Succeed(), "make bundle in a copy of the repository:\n%s", out.String())

	fresh := readTree(t, filepath.Join(copyDir, "bundle"))
	fresh["../bundle.Dockerfile"] = readFile(t, filepath.Join(copyDir, "bundle.Dockerfile"))
	committed := readTree(t, bundleDir(t))
	committed["../bundle.Dockerfile"] = readFile(t, filepath.Join(root, "bundle.Dockerfile"))
	g.Expect(differences(committed, fresh)).To(BeEmpty(),
		"bundle/ or bundle.Dockerfile differ from a fresh `make bundle`: run it and commit the result")
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
