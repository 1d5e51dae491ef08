package bundle

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/operator-framework/api/pkg/manifests"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// repoRoot is the repository's top directory, found from this file's path.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot find the test's source file")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// bundleDir is the committed bundle.
func bundleDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(repoRoot(t), "bundle")
}

// loadBundle reads the committed bundle the way OLM's tooling does.
func loadBundle(t *testing.T) *manifests.Bundle {
	t.Helper()
	b, err := manifests.GetBundleFromDir(bundleDir(t))
	if err != nil {
		t.Fatalf("loading %s: %v", bundleDir(t), err)
	}
	if b.CSV == nil {
		t.Fatalf("%s holds no ClusterServiceVersion", bundleDir(t))
	}
	return b
}

// objectsOfKind returns the bundle's extra objects (not the CSV or CRDs) of one kind.
func objectsOfKind(b *manifests.Bundle, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range b.Objects {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// readYAML decodes a YAML file into out.
func readYAML(t *testing.T, path string, out any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// almExamples decodes the CSV's alm-examples annotation.
func almExamples(t *testing.T, b *manifests.Bundle) []unstructured.Unstructured {
	t.Helper()
	var raw []map[string]any
	if err := yaml.Unmarshal([]byte(b.CSV.Annotations["alm-examples"]), &raw); err != nil {
		t.Fatalf("alm-examples: %v", err)
	}
	out := make([]unstructured.Unstructured, 0, len(raw))
	for _, o := range raw {
		out = append(out, unstructured.Unstructured{Object: o})
	}
	return out
}
