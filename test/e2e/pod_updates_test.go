//go:build e2e

package e2e

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

var _ = Describe("Updates of a managed pod's labels and annotations (docs/design.md, predecessor defect 6)", func() {
	It("are accepted and change nothing else: the pod stays released, Ready and active", func(ctx SpecContext) {
		book := startLedger()
		ns := newRestrictedNamespace(ctx)
		ss := createSingleton(ctx, ns, "db")
		Expect(k8s.Create(ctx, deployment(ns, "db", restrictedContainer("app", "sh", "-c", reportingScript(book.URL))))).
			To(Succeed())
		pod := waitForOnlyPodReady(ctx, ns, "db", "")

		By("adding a label and an annotation to the pod, as kubectl label / annotate do (merge patches)")
		patch := []byte(`{"metadata":{"labels":{"team":"storage"},"annotations":{"example.com/owner":"a, \"quoted\" value"}}}`)
		updated := pod.DeepCopy()
		Expect(k8s.Patch(ctx, updated, client.RawPatch(types.MergePatchType, patch))).To(Succeed())
		Expect(updated.Labels).To(HaveKeyWithValue("team", "storage"))
		Expect(updated.Annotations).To(HaveKeyWithValue("example.com/owner", `a, "quoted" value`))
		Expect(updated.Spec).To(Equal(pod.Spec), "the webhook prepares pods on CREATE only")

		By("checking the pod is still the released, Ready, active one, and ran once")
		Consistently(func(g Gomega) {
			current := &corev1.Pod{}
			g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(&pod), current)).To(Succeed())
			g.Expect(current.Annotations).To(HaveKeyWithValue(singletonv1.AnnotationRelease, string(pod.UID)))
			g.Expect(current.Status.Conditions).To(ContainElement(SatisfyAll(
				HaveField("Type", corev1.PodReady), HaveField("Status", corev1.ConditionTrue))))
			g.Expect(singletonStatus(ctx, ss)).To(HaveField("ActivePod", pod.Name))
		}).WithContext(ctx).WithTimeout(3 * time.Second).Should(Succeed())
		Expect(book.Runs()).To(ConsistOf(HaveField("Pod", pod.Name)), "the application did not restart")
	})
})
