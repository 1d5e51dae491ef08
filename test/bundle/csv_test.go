package bundle

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	operatorsv1alpha1 "github.com/operator-framework/api/pkg/operators/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
)

// deploymentSpecs returns the Deployments of the CSV's install strategy.
func deploymentSpecs(csv *operatorsv1alpha1.ClusterServiceVersion) []operatorsv1alpha1.StrategyDeploymentSpec {
	return csv.Spec.InstallStrategy.StrategySpec.DeploymentSpecs
}

func TestRelatedImagesComplete(t *testing.T) {
	g := NewWithT(t)
	csv := loadBundle(t).CSV

	listed := map[string]bool{}
	names := map[string]bool{}
	for _, ri := range csv.Spec.RelatedImages {
		g.Expect(ri.Name).NotTo(BeEmpty(), "relatedImages entry %s has no name", ri.Image)
		g.Expect(names).NotTo(HaveKey(ri.Name), "relatedImages name %s twice", ri.Name)
		names[ri.Name] = true
		listed[ri.Image] = true
	}

	// Every image the operator runs or injects must be mirrored for a disconnected install.
	g.Expect(deploymentSpecs(csv)).NotTo(BeEmpty())
	for _, d := range deploymentSpecs(csv) {
		pod := d.Spec.Template.Spec
		for _, c := range append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...) {
			g.Expect(listed).To(HaveKey(c.Image), "image of container %s/%s not in relatedImages", d.Name, c.Name)
			for _, e := range c.Env {
				if strings.HasPrefix(e.Name, "RELATED_IMAGE_") {
					g.Expect(e.ValueFrom).To(BeNil(), "%s must be a literal image", e.Name)
					g.Expect(listed).To(HaveKey(e.Value), "%s=%s not in relatedImages", e.Name, e.Value)
				}
			}
		}
	}
	g.Expect(names).To(HaveKey("manager"))
	g.Expect(names).To(HaveKey("gate"))
	g.Expect(listed).To(HaveKey(csv.Annotations["containerImage"]), "containerImage not in relatedImages")
}

func TestManagerDeployment(t *testing.T) {
	g := NewWithT(t)
	csv := loadBundle(t).CSV
	g.Expect(deploymentSpecs(csv)).To(HaveLen(1))
	d := deploymentSpecs(csv)[0]
	pod := d.Spec.Template.Spec

	// The restricted Pod Security Standard, so the operator runs in a namespace enforcing it.
	g.Expect(pod.SecurityContext).NotTo(BeNil())
	g.Expect(pod.SecurityContext.RunAsNonRoot).To(Equal(ptr.To(true)))
	g.Expect(pod.SecurityContext.SeccompProfile).NotTo(BeNil())
	g.Expect(pod.SecurityContext.SeccompProfile.Type).To(Equal(corev1.SeccompProfileTypeRuntimeDefault))
	g.Expect(pod.Containers).NotTo(BeEmpty())
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		g.Expect(sc).NotTo(BeNil(), c.Name)
		g.Expect(sc.AllowPrivilegeEscalation).To(Equal(ptr.To(false)), c.Name)
		g.Expect(sc.ReadOnlyRootFilesystem).To(Equal(ptr.To(true)), c.Name)
		g.Expect(sc.Capabilities).NotTo(BeNil(), c.Name)
		g.Expect(sc.Capabilities.Drop).To(ContainElement(corev1.Capability("ALL")), c.Name)
		g.Expect(sc.Privileged).To(Or(BeNil(), Equal(ptr.To(false))), c.Name)
		g.Expect(c.Resources.Requests).To(HaveKey(corev1.ResourceCPU), c.Name)
		g.Expect(c.Resources.Requests).To(HaveKey(corev1.ResourceMemory), c.Name)
		g.Expect(c.Resources.Limits).To(HaveKey(corev1.ResourceMemory), c.Name)
	}
	g.Expect(pod.HostNetwork).To(BeFalse())
	g.Expect(pod.HostPID).To(BeFalse())
	g.Expect(csv.Annotations["containerImage"]).To(Equal(pod.Containers[0].Image))
}

func TestLeastPrivilegeRBAC(t *testing.T) {
	b := loadBundle(t)
	spec := b.CSV.Spec.InstallStrategy.StrategySpec
	type rules struct {
		scope string
		perms []operatorsv1alpha1.StrategyDeploymentPermissions
	}
	for _, set := range []rules{{"cluster", spec.ClusterPermissions}, {"namespace", spec.Permissions}} {
		t.Run(set.scope, func(t *testing.T) {
			g := NewWithT(t)
			for _, p := range set.perms {
				for _, r := range p.Rules {
					g.Expect(r.Verbs).NotTo(ContainElement("*"), "wildcard verb in %v", r)
					g.Expect(r.Resources).NotTo(ContainElement("*"), "wildcard resource in %v", r)
					g.Expect(r.APIGroups).NotTo(ContainElement("*"), "wildcard API group in %v", r)
					for _, res := range r.Resources {
						g.Expect(res).NotTo(Equal("pods/exec"), "the operator needs no exec (S5)")
						if set.scope == "cluster" && res == "secrets" {
							// Cluster-wide, only get, and only the Secrets KubeFlex keeps the
							// kubeconfigs of its ControlPlanes in (docs/reported-state.md,
							// "KubeFlex"); every other Secret only in the operator's own namespace.
							g.Expect(r.Verbs).To(Equal([]string{"get"}), "Secrets cluster-wide: get only, %v", r)
							g.Expect(r.ResourceNames).To(ConsistOf("admin-kubeconfig", "multicluster-controlplane-kubeconfig",
								"vc-vcluster", "k3s-config"), "Secrets cluster-wide: KubeFlex's kubeconfig Secrets only, %v", r)
						}
					}
				}
			}
		})
	}
	// The ClusterRoles shipped beside the CSV (user roles, metrics reader).
	for _, cr := range objectsOfKind(b, "ClusterRole") {
		t.Run(cr.GetName(), func(t *testing.T) {
			g := NewWithT(t)
			rs, _, _ := unstructured.NestedSlice(cr.Object, "rules")
			g.Expect(rs).NotTo(BeEmpty())
			for _, r := range rs {
				rule, ok := r.(map[string]any)
				g.Expect(ok).To(BeTrue())
				verbs, _, _ := unstructured.NestedStringSlice(rule, "verbs")
				g.Expect(verbs).NotTo(ContainElement("*"), "wildcard verb in %v", r)
			}
		})
	}
}

// TestDescriptorsCoverEveryField asks for a spec descriptor for every spec field and a status
// descriptor for every status field of every owned CRD (a descriptor of a sub-field covers
// its parent), so that the console shows all of them.
func TestDescriptorsCoverEveryField(t *testing.T) {
	b := loadBundle(t)
	crds := map[string]*apiextensionsv1.CustomResourceDefinition{}
	for _, crd := range b.V1CRDs {
		crds[crd.Name] = crd
	}
	g := NewWithT(t)
	g.Expect(b.CSV.Spec.CustomResourceDefinitions.Owned).To(HaveLen(len(crds)), "every CRD of the bundle is owned")
	for _, owned := range b.CSV.Spec.CustomResourceDefinitions.Owned {
		t.Run(owned.Name, func(t *testing.T) {
			g := NewWithT(t)
			crd, ok := crds[owned.Name]
			g.Expect(ok).To(BeTrue(), "owned CRD %s not in the bundle", owned.Name)
			g.Expect(owned.DisplayName).NotTo(BeEmpty())
			g.Expect(owned.Description).NotTo(BeEmpty())
			g.Expect(owned.Resources).NotTo(BeEmpty())
			var schema *apiextensionsv1.JSONSchemaProps
			for _, v := range crd.Spec.Versions {
				if v.Name == owned.Version {
					schema = v.Schema.OpenAPIV3Schema
				}
			}
			g.Expect(schema).NotTo(BeNil(), "version %s of %s has no schema", owned.Version, owned.Name)

			specPaths := map[string]bool{}
			for _, d := range owned.SpecDescriptors {
				g.Expect(d.XDescriptors).NotTo(BeEmpty(), "spec descriptor %s has no x-descriptors", d.Path)
				g.Expect(d.DisplayName).NotTo(BeEmpty(), d.Path)
				g.Expect(d.Description).NotTo(BeEmpty(), d.Path)
				specPaths[topField(d.Path)] = true
			}
			for field := range schema.Properties["spec"].Properties {
				g.Expect(specPaths).To(HaveKey(field), "spec.%s of %s has no spec descriptor", field, owned.Kind)
			}
			statusPaths := map[string]bool{}
			for _, d := range owned.StatusDescriptors {
				g.Expect(d.XDescriptors).NotTo(BeEmpty(), "status descriptor %s has no x-descriptors", d.Path)
				g.Expect(d.DisplayName).NotTo(BeEmpty(), d.Path)
				statusPaths[topField(d.Path)] = true
			}
			for field := range schema.Properties["status"].Properties {
				g.Expect(statusPaths).To(HaveKey(field), "status.%s of %s has no status descriptor", field, owned.Kind)
			}
		})
	}
}

// topField is the first field of a descriptor path ("lastTransition" of "lastTransition.to").
func topField(path string) string {
	head, _, _ := strings.Cut(path, ".")
	head, _, _ = strings.Cut(head, "[")
	return head
}

func TestWebhookDefinitions(t *testing.T) {
	g := NewWithT(t)
	csv := loadBundle(t).CSV
	g.Expect(csv.Spec.WebhookDefinitions).To(HaveLen(1))
	w := csv.Spec.WebhookDefinitions[0]
	g.Expect(w.Type).To(Equal(operatorsv1alpha1.MutatingAdmissionWebhook))
	g.Expect(w.DeploymentName).To(Equal(deploymentSpecs(csv)[0].Name))
	// No pod's creation may depend on the operator being up (docs/webhook.md).
	g.Expect(w.FailurePolicy).NotTo(BeNil())
	g.Expect(string(*w.FailurePolicy)).To(Equal("Ignore"))
	g.Expect(w.TimeoutSeconds).NotTo(BeNil())
	g.Expect(*w.TimeoutSeconds).To(BeNumerically("<=", 5))
	g.Expect(string(*w.SideEffects)).To(Equal("None"))
	// The operator's own pods are never sent to its webhook, so it can always start.
	g.Expect(w.ObjectSelector).NotTo(BeNil())
	selector, err := metav1.LabelSelectorAsSelector(w.ObjectSelector)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(selector.Matches(labels.Set(deploymentSpecs(csv)[0].Spec.Template.Labels))).To(BeFalse(),
		"the operator's own pods must not go through its webhook")
	g.Expect(selector.Matches(labels.Set{"app": "db"})).To(BeTrue(), "a user's pod must go through the webhook")
	g.Expect(w.Rules).To(HaveLen(1))
	g.Expect(w.Rules[0].Resources).To(Equal([]string{"pods"}))
	g.Expect(w.Rules[0].Operations).To(HaveLen(1))
	g.Expect(string(w.Rules[0].Operations[0])).To(Equal("CREATE"))
	// The port the manager's webhook server listens on.
	ports := map[string]bool{}
	for _, p := range deploymentSpecs(csv)[0].Spec.Template.Spec.Containers[0].Ports {
		ports[p.Name] = true
	}
	g.Expect(w.TargetPort).NotTo(BeNil())
	g.Expect(ports).To(HaveKey(w.TargetPort.String()))
}

func TestInstallModes(t *testing.T) {
	g := NewWithT(t)
	modes := map[operatorsv1alpha1.InstallModeType]bool{}
	for _, m := range loadBundle(t).CSV.Spec.InstallModes {
		modes[m.Type] = m.Supported
	}
	// docs/bundle.md: the webhook and caches cover every namespace.
	g.Expect(modes).To(Equal(map[operatorsv1alpha1.InstallModeType]bool{
		operatorsv1alpha1.InstallModeTypeAllNamespaces:   true,
		operatorsv1alpha1.InstallModeTypeOwnNamespace:    false,
		operatorsv1alpha1.InstallModeTypeSingleNamespace: false,
		operatorsv1alpha1.InstallModeTypeMultiNamespace:  false,
	}))
}

// ownedFor returns the owned CRD description of cr's kind and version, or nil.
func ownedFor(owned []operatorsv1alpha1.CRDDescription, cr unstructured.Unstructured) *operatorsv1alpha1.CRDDescription {
	for i := range owned {
		if owned[i].Kind == cr.GetKind() && owned[i].Version == cr.GroupVersionKind().Version {
			return &owned[i]
		}
	}
	return nil
}
