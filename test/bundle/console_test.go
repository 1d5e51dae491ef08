package bundle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/scheme"
)

// ownedKinds are the group, version and kind of every CRD the CSV owns.
func ownedKinds(t *testing.T) []schema.GroupVersionKind {
	t.Helper()
	owned := loadBundle(t).CSV.Spec.CustomResourceDefinitions.Owned
	out := make([]schema.GroupVersionKind, 0, len(owned))
	for i := range owned {
		_, group, _ := strings.Cut(owned[i].Name, ".")
		out = append(out, schema.GroupVersionKind{Group: group, Version: owned[i].Version, Kind: owned[i].Kind})
	}
	return out
}

// sampleObject decodes the yaml of a ConsoleYAMLSample.
func sampleObject(t *testing.T, sample *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	text, _, _ := unstructured.NestedString(sample.Object, "spec", "yaml")
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(text), &obj.Object); err != nil {
		t.Fatalf("ConsoleYAMLSample %s: spec.yaml: %v", sample.GetName(), err)
	}
	return obj
}

// TestConsoleSamplesAndQuickStarts: the console offers, for every API the operator owns, YAML
// samples in the create form and a quick start: each sample's target is an owned kind and its
// yaml an object of that kind; each quick start checks access to create an owned kind; every
// console object's name starts with the operator's (they are cluster-scoped).
func TestConsoleSamplesAndQuickStarts(t *testing.T) {
	g := NewWithT(t)
	b := loadBundle(t)
	samples := objectsOfKind(b, "ConsoleYAMLSample")
	quickStarts := objectsOfKind(b, "ConsoleQuickStart")

	sampled := map[schema.GroupVersionKind]int{}
	for _, s := range samples {
		g.Expect(s.GetName()).To(HavePrefix("singleton-operator-"))
		apiVersion, _, _ := unstructured.NestedString(s.Object, "spec", "targetResource", "apiVersion")
		kind, _, _ := unstructured.NestedString(s.Object, "spec", "targetResource", "kind")
		target := schema.FromAPIVersionAndKind(apiVersion, kind)
		obj := sampleObject(t, s)
		g.Expect(obj.GroupVersionKind()).To(Equal(target), "sample %s: its yaml is a %s", s.GetName(), target.Kind)
		sampled[target]++
	}
	reviewed := map[string]bool{}
	for _, q := range quickStarts {
		g.Expect(q.GetName()).To(HavePrefix("singleton-operator-"))
		reviews, _, _ := unstructured.NestedSlice(q.Object, "spec", "accessReviewResources")
		for _, r := range reviews {
			m, _ := r.(map[string]any)
			group, _ := m["group"].(string)
			resource, _ := m["resource"].(string)
			if m["verb"] == "create" {
				reviewed[group+"/"+resource] = true
			}
		}
	}
	owned := b.CSV.Spec.CustomResourceDefinitions.Owned
	for i := range owned {
		o := &owned[i]
		resource, group, _ := strings.Cut(o.Name, ".")
		g.Expect(sampled[schema.GroupVersionKind{Group: group, Version: o.Version, Kind: o.Kind}]).To(
			BeNumerically(">=", 1), "no ConsoleYAMLSample for %s", o.Kind)
		g.Expect(reviewed).To(HaveKey(group+"/"+resource), "no ConsoleQuickStart creates a %s", o.Kind)
	}
	g.Expect(ownedKinds(t)).To(HaveLen(2), "StatefulSingleton and ReportedState")
}

// TestConsoleObjectsFitTheirCRDs creates the bundle's ConsoleYAMLSamples and ConsoleQuickStarts
// in a real API server holding OpenShift's console CRDs (`make console-crds`), as OLM does on
// OpenShift, where an object the schema refuses fails the install; and creates each sample's
// yaml, with the operator's CRDs, as a user's create form would (server-side dry run).
func TestConsoleObjectsFitTheirCRDs(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	crds := os.Getenv("CONSOLE_CRDS")
	if crds == "" {
		t.Fatal("CONSOLE_CRDS is not set: run `make test-bundle`, which fetches them (make console-crds)")
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{crds, filepath.Join(repoRoot(t), "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true, Scheme: scheme.New(),
	}
	cfg, err := env.Start()
	g.Expect(err).NotTo(HaveOccurred(), "is KUBEBUILDER_ASSETS set? `make test-bundle` sets it")
	t.Cleanup(func() { g.Expect(env.Stop()).To(Succeed()) })
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	g.Expect(err).NotTo(HaveOccurred())

	b := loadBundle(t)
	for _, kind := range []string{"ConsoleYAMLSample", "ConsoleQuickStart"} {
		objs := objectsOfKind(b, kind)
		g.Expect(objs).NotTo(BeEmpty(), kind)
		for _, o := range objs {
			g.Expect(c.Create(ctx, o.DeepCopy(), client.FieldValidation(metav1.FieldValidationStrict))).To(Succeed(),
				"creating the bundle's %s %s", kind, o.GetName())
		}
	}

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "singleton-operator-system"}}
	g.Expect(c.Create(ctx, ns)).To(Succeed())
	for _, s := range objectsOfKind(b, "ConsoleYAMLSample") {
		obj := sampleObject(t, s)
		obj.SetNamespace(ns.Name)
		g.Expect(c.Create(ctx, obj, client.DryRunAll, client.FieldValidation(metav1.FieldValidationStrict))).To(Succeed(),
			"the yaml of sample %s", s.GetName())
	}

	// The schema is enforced: a sample without its yaml is refused.
	bad := objectsOfKind(b, "ConsoleYAMLSample")[0].DeepCopy()
	bad.SetName("singleton-operator-no-yaml")
	unstructured.RemoveNestedField(bad.Object, "spec", "yaml")
	g.Expect(c.Create(ctx, bad)).NotTo(Succeed())
}

// TestUninstallDocsNameWhatTheOperatorLeaves: the recovery docs/install.md gives for an operator
// removed first (test/olm runs it) names the finalizers and the annotation the operator really
// uses, and the guard configuration.
func TestUninstallDocsNameWhatTheOperatorLeaves(t *testing.T) {
	g := NewWithT(t)
	doc := readFile(t, filepath.Join(repoRoot(t), "docs", "install.md"))
	_, section, ok := strings.Cut(doc, "### If the operator went first")
	g.Expect(ok).To(BeTrue(), `docs/install.md has the section "If the operator went first"`)
	section, _, _ = strings.Cut(section, "\n## ")
	for _, s := range []string{singletonv1.FinalizerRelease, singletonv1.FinalizerHandBack, singletonv1.AnnotationRelease,
		"singleton-operator-guard"} {
		g.Expect(section).To(ContainSubstring(s))
	}
}
