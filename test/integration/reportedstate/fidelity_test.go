package reportedstate

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
	"github.com/singleton-operator/singleton-operator/internal/controller/kubestellar"
)

// KubeStellar's contract (the doc of wantSingletonReportedState): copy or combine follows the
// size of the qualified WEC set, not the number of WECs that report; the executing count is that
// size, present only while singleton return is requested; Namespaces and CRDs never get status.
var _ = Describe("Reported state follows the qualified WEC set", func() {
	var (
		ns   string
		gvk  = deploymentWorkload.gvk()
		full = deploymentStatus(2, 2)
		half = deploymentStatus(1, 1)
	)
	BeforeEach(func(ctx SpecContext) { ns = newNamespace(ctx) })

	It("returns nothing for singleton reported state on two WECs, says so, and copies once one is left",
		func(ctx SpecContext) {
			wecs := newWECs(ctx, ns, "wec1", "wec2")
			Expect(wdsClient.Create(ctx, deployment(ns, "d"))).To(Succeed())
			Expect(wdsClient.Create(ctx, deployment(ns, "e"))).To(Succeed())
			c := clause{GVR: deploymentsGVR, Namespace: ns, Name: "d", Single: true}
			b := policy(ctx, ns, wecs, c)
			ce := clause{GVR: deploymentsGVR, Namespace: ns, Name: "e", Single: true}
			be := policy(ctx, ns+"-e", wecs, ce)
			DeferCleanup(func(ctx SpecContext) {
				// A misconfigured object left behind would hold RequestsValid False for the others.
				deletePolicy(ctx, b)
				deletePolicy(ctx, be)
			})

			By("one of the two WECs reporting: nothing copied, the count is 2")
			reportStatus(ctx, wecs[0], wdsName, deploymentWorkload.ref(ns, "d"), full)
			Eventually(labelOf).WithContext(ctx).WithArguments(gvk, ns, "d", kubestellar.LabelExecutingCount).Should(Equal("2"))
			Eventually(reasonOf).WithContext(ctx).WithArguments(opsNS, wdsName, ksv1alpha1.ConditionRequestsValid).
				Should(Equal("False/" + ksv1alpha1.ReasonSingletonWrongWECCount))
			Eventually(eventNotes).WithContext(ctx).WithArguments("SingletonWrongWECCount").Should(ContainElements(
				ContainSubstring(ns+"/d"), ContainSubstring(ns+"/e")), "one event per object, not one series for all")
			Consistently(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").WithTimeout(subSecondQuiet).Should(BeEmpty())

			By("both reporting: still nothing")
			reportStatus(ctx, wecs[1], wdsName, deploymentWorkload.ref(ns, "d"), half)
			Consistently(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").WithTimeout(subSecondQuiet).Should(BeEmpty())

			By("the Binding narrowed to wec2: its status copied; the condition stays while e is misconfigured")
			updatePolicy(ctx, b, wecs[1:], c)
			Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").Should(Equal(half))
			Eventually(labelOf).WithContext(ctx).WithArguments(gvk, ns, "d", kubestellar.LabelExecutingCount).Should(Equal("1"))
			Consistently(reasonOf).WithContext(ctx).WithArguments(opsNS, wdsName, ksv1alpha1.ConditionRequestsValid).
				WithTimeout(subSecondQuiet).Should(Equal("False/" + ksv1alpha1.ReasonSingletonWrongWECCount))

			By("e's Binding narrowed too: the condition cleared")
			updatePolicy(ctx, be, wecs[1:], ce)
			Eventually(reasonOf).WithContext(ctx).WithArguments(opsNS, wdsName, ksv1alpha1.ConditionRequestsValid).
				Should(Equal("True/" + ksv1alpha1.ReasonRequestsValid))

			By("widened again: what was copied is cleared")
			updatePolicy(ctx, b, wecs, c)
			Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").Should(BeEmpty())
			Eventually(labelOf).WithContext(ctx).WithArguments(gvk, ns, "d", kubestellar.LabelExecutingCount).Should(Equal("2"))
		})

	It("shows how many WECs report beside the executing count, on kinds whose generation ignores annotations",
		func(ctx SpecContext) {
			wecs := newWECs(ctx, ns, "wec1", "wec2", "wec3")
			Expect(wdsClient.Create(ctx, configMap(ns, "cm"))).To(Succeed())
			ref := sourceRef{gvr: configMapsGVR, kind: "ConfigMap", namespace: ns, name: "cm"}
			policy(ctx, ns, wecs, clause{GVR: configMapsGVR, Namespace: ns, Name: "cm", Single: true, Multi: true})
			reportStatus(ctx, wecs[0], wdsName, ref, nil)
			Eventually(annotationOf).WithContext(ctx).WithArguments(corev1.SchemeGroupVersion.WithKind("ConfigMap"), ns, "cm",
				kubestellar.AnnotationReportingWECs).Should(Equal("1"))
			Eventually(labelOf).WithContext(ctx).WithArguments(corev1.SchemeGroupVersion.WithKind("ConfigMap"), ns, "cm",
				kubestellar.LabelExecutingCount).Should(Equal("3"))
		})

	It("leaves a WEC whose status has an unexpected shape out of the summary, names it, and keeps the rest moving",
		func(ctx SpecContext) {
			wecs := newWECs(ctx, ns, "wec1", "odd")
			Expect(wdsClient.Create(ctx, deployment(ns, "d"))).To(Succeed())
			odd := deploymentStatus(1, 1)
			odd["replicas"] = "1"
			odd["conditions"] = []any{map[string]any{"type": "Available", "status": true}}
			reportStatus(ctx, wecs[1], wdsName, deploymentWorkload.ref(ns, "d"), odd)
			reportStatus(ctx, wecs[0], wdsName, deploymentWorkload.ref(ns, "d"), half)
			policy(ctx, ns, wecs, clause{GVR: deploymentsGVR, Namespace: ns, Name: "d", Single: true, Multi: true})

			Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").Should(And(
				HaveKeyWithValue("readyReplicas", int64(1)), HaveKeyWithValue("replicas", int64(2))),
				"the summary of wec1 alone (half-way)")
			Eventually(labelOf).WithContext(ctx).WithArguments(gvk, ns, "d", kubestellar.LabelExecutingCount).Should(Equal("2"))
			Eventually(eventNotes).WithContext(ctx).WithArguments("MalformedReport").
				Should(ContainElement(And(ContainSubstring(ns+"/d"), ContainSubstring(wecs[1]))))
			Eventually(func() float64 {
				return gaugeValue("reportedstate_wec_objects", map[string]string{"wec": wecs[1], "status": "Unknown"})
			}).WithContext(ctx).Should(Equal(1.0))

			By("the good WEC moving on: the summary follows")
			reportStatus(ctx, wecs[0], wdsName, deploymentWorkload.ref(ns, "d"), full)
			Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "d").Should(Equal(full))
		})

	It("never returns status into a Namespace", func(ctx SpecContext) {
		wecs := newWECs(ctx, ns, "wec1")
		nsGVR := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
		policy(ctx, ns, wecs, clause{GVR: nsGVR, Name: ns, Single: true})
		reportStatus(ctx, wecs[0], wdsName, sourceRef{gvr: nsGVR, kind: "Namespace", name: ns},
			map[string]any{"phase": "Terminating"})
		nsGVK := corev1.SchemeGroupVersion.WithKind("Namespace")
		Consistently(func(g Gomega) {
			u, err := getObject(ctx, nsGVK, "", ns)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(u.Object["status"]).To(Equal(map[string]any{"phase": "Active"}))
			g.Expect(u.GetLabels()).NotTo(HaveKey(kubestellar.LabelExecutingCount))
			g.Expect(u.GetManagedFields()).NotTo(ContainElement(HaveField("Manager", kubestellar.FieldManager)))
		}).WithContext(ctx).WithTimeout(2 * time.Second).Should(Succeed())
	})

	It("notices a CRD that loses, then gains, its status subresource", func(ctx SpecContext) {
		crd := gadgetCRD(true)
		Expect(wdsClient.Create(ctx, crd)).To(Succeed())
		DeferCleanup(func(ctx SpecContext) { _ = wdsClient.Delete(ctx, gadgetCRD(true)) })
		gadgetsGVR := schema.GroupVersionResource{Group: "fidelity.test.io", Version: "v1", Resource: "gadgets"}
		gadgetGVK := gadgetsGVR.GroupVersion().WithKind("Gadget")
		g := &unstructured.Unstructured{}
		g.SetGroupVersionKind(gadgetGVK)
		g.SetNamespace(ns)
		g.SetName("g")
		g.Object["spec"] = map[string]any{"size": int64(1)}
		Eventually(func() error { return wdsClient.Create(ctx, g.DeepCopy()) }).WithContext(ctx).Should(Succeed())
		wecs := newWECs(ctx, ns, "wec1")
		ref := sourceRef{gvr: gadgetsGVR, kind: "Gadget", namespace: ns, name: "g"}
		// Written by hand: KubeStellar v0.30's binding controller, running when this CRD is
		// created, did not place the new kind's object into the policy's Binding within 30 s
		// here (not investigated further; its kinds known at start work).
		b := newBinding(ctx, ns, wecs, clause{GVR: gadgetsGVR, Namespace: ns, Name: "g", Single: true})
		reportStatus(ctx, wecs[0], wdsName, ref, map[string]any{"phase": "One"})
		DeferCleanup(func(ctx SpecContext) {
			// Before the CRD goes (cleanups run last first): a WorkStatus naming a resource the WDS
			// no longer serves would be reported, and its event fold into the other specs'.
			ws := &unstructured.Unstructured{}
			ws.SetAPIVersion("control.kubestellar.io/v1alpha1")
			ws.SetKind("WorkStatus")
			ws.SetNamespace(wecs[0])
			ws.SetName(workStatusName(wecs[0], wdsName, ref))
			Expect(client.IgnoreNotFound(itsClient.Delete(ctx, ws))).To(Succeed())
			Expect(client.IgnoreNotFound(wdsClient.Delete(ctx, b))).To(Succeed())
		})
		Eventually(statusOf).WithContext(ctx).WithArguments(gadgetGVK, ns, "g").Should(Equal(map[string]any{"phase": "One"}))

		By("dropping the status subresource: the status write finds nothing, the object is written whole")
		setGadgetStatusSubresource(ctx, false)
		reportStatus(ctx, wecs[0], wdsName, ref, map[string]any{"phase": "Two"})
		Eventually(statusOf).WithContext(ctx).WithArguments(gadgetGVK, ns, "g").Should(Equal(map[string]any{"phase": "Two"}))

		By("adding it back: the object's write drops the status, the status subresource is written")
		setGadgetStatusSubresource(ctx, true)
		reportStatus(ctx, wecs[0], wdsName, ref, map[string]any{"phase": "Three"})
		Eventually(statusOf).WithContext(ctx).WithArguments(gadgetGVK, ns, "g").Should(Equal(map[string]any{"phase": "Three"}))
	})
})

// gadgetCRD is a namespaced CRD, with or without a status subresource.
func gadgetCRD(status bool) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "gadgets.fidelity.test.io"},
		"spec": map[string]any{
			"group": "fidelity.test.io", "scope": "Namespaced",
			"names":    map[string]any{"kind": "Gadget", "listKind": "GadgetList", "plural": "gadgets", "singular": "gadget"},
			"versions": []any{gadgetVersion(status)},
		},
	}}
	return u
}

func gadgetVersion(status bool) map[string]any {
	v := map[string]any{
		"name": "v1", "served": true, "storage": true,
		"schema": map[string]any{"openAPIV3Schema": map[string]any{
			"type": "object",
			"properties": map[string]any{
				"spec":   map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true},
				"status": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true},
			},
		}},
	}
	if status {
		v["subresources"] = map[string]any{"status": map[string]any{}}
	}
	return v
}

// setGadgetStatusSubresource gives the Gadget CRD a status subresource or takes it away, and waits
// until discovery shows it.
func setGadgetStatusSubresource(ctx SpecContext, status bool) {
	GinkgoHelper()
	Eventually(func() error {
		u := gadgetCRD(status)
		if err := wdsClient.Get(ctx, client.ObjectKeyFromObject(u), u); err != nil {
			return err
		}
		u.Object["spec"].(map[string]any)["versions"] = []any{gadgetVersion(status)}
		return wdsClient.Update(ctx, u)
	}).WithContext(ctx).Should(Succeed())
	Eventually(func() (bool, error) {
		list, err := wdsDiscovery().ServerResourcesForGroupVersion("fidelity.test.io/v1")
		if err != nil {
			return false, err
		}
		for i := range list.APIResources {
			if list.APIResources[i].Name == "gadgets/status" {
				return true, nil
			}
		}
		return false, nil
	}).WithContext(ctx).Should(Equal(status))
}

// wdsDiscovery is a discovery client of the WDS.
func wdsDiscovery() *discovery.DiscoveryClient {
	return discovery.NewDiscoveryClientForConfigOrDie(wds.Config)
}
