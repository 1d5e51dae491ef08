package bundle

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/validation"
)

// readAnnotations returns bundle/metadata/annotations.yaml's annotations.
func readAnnotations(t *testing.T) map[string]string {
	t.Helper()
	var file struct {
		Annotations map[string]string `json:"annotations"`
	}
	readYAML(t, filepath.Join(bundleDir(t), "metadata", "annotations.yaml"), &file)
	return file.Annotations
}

// dockerfileLabels returns the LABELs of bundle.Dockerfile (one key=value per LABEL line, as
// operator-sdk writes them), with quotes removed from the values.
func dockerfileLabels(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(t), "bundle.Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	labels := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		rest, ok := strings.CutPrefix(strings.TrimSpace(s.Text()), "LABEL ")
		if !ok {
			continue
		}
		key, value, ok := strings.Cut(rest, "=")
		if !ok {
			t.Fatalf("bundle.Dockerfile: LABEL without '=': %q", s.Text())
		}
		if unq, err := strconv.Unquote(value); err == nil {
			value = unq
		}
		labels[key] = value
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return labels
}

func TestAnnotationsMatchDockerfileLabels(t *testing.T) {
	g := NewWithT(t)
	annotations := readAnnotations(t)
	g.Expect(dockerfileLabels(t)).To(Equal(annotations),
		"bundle/metadata/annotations.yaml and the bundle.Dockerfile labels must agree")
	g.Expect(annotations).To(HaveKeyWithValue("operators.operatorframework.io.bundle.package.v1", "singleton-operator"))
	g.Expect(annotations).To(HaveKeyWithValue("operators.operatorframework.io.bundle.channels.v1", "candidate-v0,stable-v0"))
	g.Expect(annotations).To(HaveKeyWithValue("operators.operatorframework.io.bundle.channel.default.v1", "stable-v0"))
	g.Expect(annotations).To(HaveKey("com.redhat.openshift.versions"))
}

// The ten feature annotations OpenShift's console filters on: each must be present, and "true"
// or "false".
var openShiftFeatures = []string{
	"disconnected", "fips-compliant", "proxy-aware", "tls-profiles",
	"token-auth-aws", "token-auth-azure", "token-auth-gcp", "cnf", "cni", "csi",
}

func TestOpenShiftAnnotations(t *testing.T) {
	b := loadBundle(t)
	a := b.CSV.Annotations

	for _, f := range openShiftFeatures {
		t.Run(f, func(t *testing.T) {
			key := "features.operators.openshift.io/" + f
			NewWithT(t).Expect(a).To(HaveKeyWithValue(key, BeElementOf("true", "false")))
		})
	}

	t.Run("what the operator does not do", func(t *testing.T) {
		g := NewWithT(t)
		// No cloud API, no network or storage plugin, no FIPS-validated build, no TLS profile
		// read from the cluster: claiming otherwise would list the operator where it does not work.
		for _, f := range []string{"token-auth-aws", "token-auth-azure", "token-auth-gcp", "cnf", "cni", "csi",
			"fips-compliant", "tls-profiles"} {
			g.Expect(a).To(HaveKeyWithValue("features.operators.openshift.io/"+f, "false"), f)
		}
	})

	t.Run("valid-subscription", func(t *testing.T) {
		g := NewWithT(t)
		var subs []string
		g.Expect(json.Unmarshal([]byte(a["operators.openshift.io/valid-subscription"]), &subs)).To(Succeed(),
			"operators.openshift.io/valid-subscription must be a JSON array of strings")
		g.Expect(subs).NotTo(BeEmpty())
		g.Expect(subs).NotTo(ContainElement(BeEmpty()))
	})

	t.Run("suggested-namespace", func(t *testing.T) {
		ns := a["operatorframework.io/suggested-namespace"]
		NewWithT(t).Expect(validation.IsDNS1123Label(ns)).To(BeEmpty(), "suggested namespace %q", ns)
	})

	t.Run("minKubeVersion within the OpenShift range", func(t *testing.T) {
		g := NewWithT(t)
		minors, err := openShiftRange(readAnnotations(t)["com.redhat.openshift.versions"])
		g.Expect(err).NotTo(HaveOccurred())
		// The oldest OpenShift release in range must ship at least minKubeVersion, or the
		// bundle would be offered where OLM refuses to install it.
		g.Expect(b.CSV.Spec.MinKubeVersion).To(Equal("1." + strconv.Itoa(openShiftKube[minors[0]]) + ".0"))
	})
}
