package bundle

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/yaml"
)

// catalogFile is the generated file-based catalog (hack/catalog.sh).
const catalogFile = "catalog/singleton-operator/catalog.yaml"

// fbcObject is the part of a file-based catalog object these tests read.
type fbcObject struct {
	Schema         string `json:"schema"`
	Name           string `json:"name"`
	Image          string `json:"image"`
	DefaultChannel string `json:"defaultChannel"`
	Description    string `json:"description"`
	Icon           *struct {
		Data      string `json:"base64data"`
		MediaType string `json:"mediatype"`
	} `json:"icon"`
	Entries []struct {
		Name     string   `json:"name"`
		Replaces string   `json:"replaces"`
		Skips    []string `json:"skips"`
	} `json:"entries"`
}

func readCatalog(t *testing.T, path string) []fbcObject {
	t.Helper()
	var out []fbcObject
	for _, doc := range strings.Split(readFile(t, path), "\n---") {
		var o fbcObject
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if o.Schema != "" {
			out = append(out, o)
		}
	}
	return out
}

type release struct {
	Version     string `json:"version"`
	Bundle      string `json:"bundle"`
	Commit      string `json:"commit"`
	BundleImage string `json:"bundleImage"`
	Image       string `json:"image"`
}

func readReleases(t *testing.T) []release {
	t.Helper()
	var r struct {
		Releases []release `json:"releases"`
	}
	readYAML(t, filepath.Join(repoRoot(t), "catalog", "releases.yaml"), &r)
	return r.Releases
}

// TestCatalogChannels: the generated catalog has the package's icon and description, the
// channels candidate-v0 (every release) and stable-v0 (the promoted ones, all also in
// candidate-v0) with stable-v0 the default, and every bundle named by the digest
// catalog/releases.yaml records.
func TestCatalogChannels(t *testing.T) {
	g := NewWithT(t)
	objs := readCatalog(t, filepath.Join(repoRoot(t), catalogFile))
	channels := map[string][]string{}
	bundleImages := map[string]string{}
	var pkg *fbcObject
	for i, o := range objs {
		switch o.Schema {
		case "olm.package":
			pkg = &objs[i]
		case "olm.channel":
			for _, e := range o.Entries {
				channels[o.Name] = append(channels[o.Name], e.Name)
			}
		case "olm.bundle":
			bundleImages[o.Name] = o.Image
		}
	}
	g.Expect(pkg).NotTo(BeNil())
	g.Expect(pkg.Name).To(Equal("singleton-operator"))
	g.Expect(pkg.DefaultChannel).To(Equal("stable-v0"))
	g.Expect(pkg.Description).To(ContainSubstring("StatefulSingleton"))
	g.Expect(pkg.Icon).NotTo(BeNil())
	g.Expect(pkg.Icon.Data).NotTo(BeEmpty())
	g.Expect(pkg.Icon.MediaType).To(Equal("image/svg+xml"))
	g.Expect(channels).To(HaveKey("candidate-v0"))
	g.Expect(channels).To(HaveKey("stable-v0"))
	g.Expect(channels).To(HaveLen(2), "only the two channels of major version 0")
	g.Expect(channels["candidate-v0"]).To(ContainElements(channels["stable-v0"]), "stable is a subset of candidate")

	releases := readReleases(t)
	g.Expect(releases).NotTo(BeEmpty())
	for _, r := range releases {
		g.Expect(channels["candidate-v0"]).To(ContainElement(r.Bundle), "every release enters candidate-v0")
		g.Expect(byDigest(r.BundleImage)).To(BeTrue(), r.BundleImage)
		g.Expect(bundleImages).To(HaveKeyWithValue(r.Bundle, r.BundleImage))
	}
	g.Expect(bundleImages).To(HaveLen(len(releases)))
}

// TestCatalogIsGeneratedFromTemplate regenerates the catalog from catalog/template.yaml in a
// copy (hack/catalog.sh generate: every release's bundle image rebuilt from its commit, checked
// against its digest, rendered by opm) and asks for the committed file, byte for byte.
func TestCatalogIsGeneratedFromTemplate(t *testing.T) {
	g := NewWithT(t)
	root := repoRoot(t)
	localbin := os.Getenv("LOCALBIN")
	if localbin == "" {
		localbin = filepath.Join(root, "bin")
	}
	dir := t.TempDir()
	g.Expect(copyTree(filepath.Join(root, "catalog"), dir)).To(Succeed())
	g.Expect(os.Remove(filepath.Join(dir, "singleton-operator", "catalog.yaml"))).To(Succeed())
	cmd := exec.Command(filepath.Join(root, "hack", "catalog.sh"), "generate")
	cmd.Env = append(os.Environ(), "OPM="+filepath.Join(localbin, "opm"), "CATALOG_DIR="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	g.Expect(cmd.Run()).To(Succeed(), out.String())
	g.Expect(readFile(t, filepath.Join(dir, "singleton-operator", "catalog.yaml"))).To(
		Equal(readFile(t, filepath.Join(root, catalogFile))),
		"catalog/ differs from what its template generates: run make catalog and commit it")
}
