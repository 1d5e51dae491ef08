package bundle

import (
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	scapiv1alpha3 "github.com/operator-framework/api/pkg/apis/scorecard/v1alpha3"
	"github.com/operator-framework/api/pkg/validation"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/singleton-operator/singleton-operator/cmd/scorecard-tests/checks"
)

// The six checks of scorecard's default basic and olm suites (bundle/tests/scorecard/config.yaml)
// read only the bundle's files, yet scorecard runs them as pods from an image this machine
// cannot pull. These tests check the same promises on the same files, stricter where the
// default check only suggests.

// TestScorecardBasicCheckSpec: every custom resource in alm-examples has a non-empty spec.
func TestScorecardBasicCheckSpec(t *testing.T) {
	g := NewWithT(t)
	crs := almExamples(t, loadBundle(t))
	g.Expect(crs).NotTo(BeEmpty())
	for _, cr := range crs {
		spec, found, err := unstructured.NestedMap(cr.Object, "spec")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(found).To(BeTrue(), "%s %s has no spec", cr.GetKind(), cr.GetName())
		g.Expect(spec).NotTo(BeEmpty(), "%s %s has an empty spec", cr.GetKind(), cr.GetName())
	}
}

// TestScorecardOLMBundleValidation: the bundle loads with its metadata, and the default
// validators find no error.
func TestScorecardOLMBundleValidation(t *testing.T) {
	g := NewWithT(t)
	b := loadBundle(t)
	annotations := readAnnotations(t)
	for _, key := range []string{
		"operators.operatorframework.io.bundle.mediatype.v1",
		"operators.operatorframework.io.bundle.manifests.v1",
		"operators.operatorframework.io.bundle.metadata.v1",
		"operators.operatorframework.io.bundle.package.v1",
		"operators.operatorframework.io.bundle.channels.v1",
	} {
		g.Expect(annotations).To(HaveKeyWithValue(key, Not(BeEmpty())))
	}
	g.Expect(annotations["operators.operatorframework.io.bundle.mediatype.v1"]).To(Equal("registry+v1"))
	g.Expect(filepath.Join(bundleDir(t), annotations["operators.operatorframework.io.bundle.manifests.v1"])).To(BeADirectory())
	g.Expect(strings.Split(annotations["operators.operatorframework.io.bundle.channels.v1"], ",")).To(
		ContainElement(annotations["operators.operatorframework.io.bundle.channel.default.v1"]))
	for _, r := range validation.DefaultBundleValidators.Validate(b.ObjectsToValidate()...) {
		g.Expect(r.Errors).To(BeEmpty())
	}
}

// crdVersionFor returns the schema of the bundle's CRD version serving cr's kind and version.
func crdVersionFor(crds []*apiextensionsv1.CustomResourceDefinition, cr unstructured.Unstructured) *apiextensionsv1.JSONSchemaProps {
	gvk := cr.GroupVersionKind()
	for _, crd := range crds {
		if crd.Spec.Group != gvk.Group || crd.Spec.Names.Kind != gvk.Kind {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if v.Name == gvk.Version && v.Schema != nil {
				return v.Schema.OpenAPIV3Schema
			}
		}
	}
	return nil
}

// TestScorecardOLMCRDsHaveValidation: every alm-example is served by a CRD version with a
// schema that declares each of its spec and status fields.
func TestScorecardOLMCRDsHaveValidation(t *testing.T) {
	g := NewWithT(t)
	b := loadBundle(t)
	for _, cr := range almExamples(t, b) {
		schema := crdVersionFor(b.V1CRDs, cr)
		g.Expect(schema).NotTo(BeNil(), "no CRD with a schema serves %s", cr.GroupVersionKind())
		for _, part := range []string{"spec", "status"} {
			fields, _, _ := unstructured.NestedMap(cr.Object, part)
			for key := range fields {
				g.Expect(schema.Properties[part].Properties).To(HaveKey(key),
					"%s.%s of %s is not in its CRD's schema", part, key, cr.GetName())
			}
		}
	}
}

// TestScorecardOLMCRDsHaveResources: every owned CRD lists the resources it creates or reads.
func TestScorecardOLMCRDsHaveResources(t *testing.T) {
	g := NewWithT(t)
	owned := loadBundle(t).CSV.Spec.CustomResourceDefinitions.Owned
	g.Expect(owned).NotTo(BeEmpty())
	for _, crd := range owned {
		g.Expect(crd.Resources).NotTo(BeEmpty(), "%s lists no resources", crd.Name)
		for _, r := range crd.Resources {
			g.Expect(r.Kind).NotTo(BeEmpty(), crd.Name)
			g.Expect(r.Version).NotTo(BeEmpty(), crd.Name)
		}
	}
}

// TestScorecardOLMSpecDescriptors: every spec field of every alm-example has a spec descriptor.
func TestScorecardOLMSpecDescriptors(t *testing.T) {
	g := NewWithT(t)
	b := loadBundle(t)
	for _, cr := range almExamples(t, b) {
		owned := ownedFor(b.CSV.Spec.CustomResourceDefinitions.Owned, cr)
		g.Expect(owned).NotTo(BeNil(), "no owned CRD for %s", cr.GroupVersionKind())
		paths := map[string]bool{}
		for _, d := range owned.SpecDescriptors {
			paths[topField(d.Path)] = true
		}
		spec, _, _ := unstructured.NestedMap(cr.Object, "spec")
		for key := range spec {
			g.Expect(paths).To(HaveKey(key), "spec.%s of %s has no spec descriptor", key, cr.GetName())
		}
	}
}

// TestScorecardOLMStatusDescriptors: every owned CRD of an alm-example has status descriptors
// (scorecard requires them only when the example carries a status; the examples never do, and
// the status is what users read).
func TestScorecardOLMStatusDescriptors(t *testing.T) {
	g := NewWithT(t)
	b := loadBundle(t)
	for _, cr := range almExamples(t, b) {
		owned := ownedFor(b.CSV.Spec.CustomResourceDefinitions.Owned, cr)
		g.Expect(owned).NotTo(BeNil(), "no owned CRD for %s", cr.GroupVersionKind())
		g.Expect(owned.StatusDescriptors).NotTo(BeEmpty(), "%s has no status descriptors", owned.Name)
	}
}

// TestAlmExamplesCoverOwnedCRDs: each owned CRD has an example, so the console's create form
// starts from something that works.
func TestAlmExamplesCoverOwnedCRDs(t *testing.T) {
	g := NewWithT(t)
	b := loadBundle(t)
	kinds := map[string]bool{}
	for _, cr := range almExamples(t, b) {
		kinds[cr.GetKind()+"."+cr.GroupVersionKind().Version] = true
	}
	for _, owned := range b.CSV.Spec.CustomResourceDefinitions.Owned {
		g.Expect(kinds).To(HaveKey(owned.Kind+"."+owned.Version), "no alm-example for %s", owned.Name)
	}
}

// TestScorecardConfiguration: bundle/tests/scorecard/config.yaml runs the six default checks
// and every custom check of cmd/scorecard-tests, each by a name the binary knows, from the
// release's scorecard-tests image, by digest.
func TestScorecardConfiguration(t *testing.T) {
	g := NewWithT(t)
	var cfg scapiv1alpha3.Configuration
	readYAML(t, filepath.Join(bundleDir(t), "tests", "scorecard", "config.yaml"), &cfg)
	defaults := map[string]bool{}
	custom := map[string]bool{}
	for _, stage := range cfg.Stages {
		for _, test := range stage.Tests {
			g.Expect(test.Entrypoint).To(HaveLen(2), "entrypoint [binary, test name]: %v", test.Entrypoint)
			switch test.Labels["suite"] {
			case "basic", "olm":
				g.Expect(test.Image).To(HavePrefix("quay.io/operator-framework/scorecard-test:"))
				defaults[test.Entrypoint[1]] = true
			case "singleton-operator":
				g.Expect(test.Entrypoint[0]).To(Equal("/scorecard-tests"))
				g.Expect(test.Image).To(MatchRegexp(`-scorecard-tests@sha256:[0-9a-f]{64}$`), "the release's image, by digest")
				g.Expect(stage.Parallel).To(BeFalse(), "the custom checks create workloads: one at a time")
				custom[test.Entrypoint[1]] = true
			default:
				t.Errorf("test %v has no known suite label", test.Entrypoint)
			}
		}
	}
	g.Expect(defaults).To(HaveLen(6))
	for _, name := range []string{"basic-check-spec", "olm-bundle-validation", "olm-crds-have-validation",
		"olm-crds-have-resources", "olm-spec-descriptors", "olm-status-descriptors"} {
		g.Expect(defaults).To(HaveKey(name))
	}
	want := map[string]bool{}
	for _, name := range checks.Names() {
		want[name] = true
	}
	g.Expect(custom).To(Equal(want))
}
