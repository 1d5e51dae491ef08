package reportedstate

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
	"github.com/singleton-operator/singleton-operator/internal/controller/kubestellar"
)

// kubeStellar writes as KubeStellar's own status controller does: updates under its field
// manager (pkg/status of KubeStellar v0.30).
func kubeStellar() client.Client {
	return client.WithFieldOwner(wdsClient, kubestellar.KubeStellarStatusManager)
}

// Taking over from KubeStellar's status controller (docs/reported-state.md): what it wrote is
// adopted, so nothing stale stays, and if it still runs, the ReportedState says so.
var _ = Describe("Taking over from KubeStellar's status controller", func() {
	gvk := deploymentWorkload.gvk()

	It("clears what KubeStellar's controller wrote on an object no Binding asks for any more", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		By("an object whose status and label KubeStellar's controller wrote, before this operator started")
		stopOp()
		d := deployment(ns, "left")
		d.SetLabels(map[string]string{"app": "left"})
		Expect(wdsClient.Create(ctx, d)).To(Succeed())
		u, err := getObject(ctx, gvk, ns, "left")
		Expect(err).NotTo(HaveOccurred())
		u.SetLabels(map[string]string{kubestellar.LabelSingletonStatus: "true", "app": "left"})
		Expect(kubeStellar().Update(ctx, u)).To(Succeed())
		u.Object["status"] = deploymentStatus(2, 2)
		Expect(kubeStellar().Status().Update(ctx, u)).To(Succeed())

		By("starting this operator: the object is cleared, the other labels kept")
		stopOp = startOperator(wds.Config)
		expectCleared(ctx, gvk, ns, "left")
		Expect(labelOf(ctx, gvk, ns, "left", "app")).To(Equal("left"))
	})

	It("tells, while KubeStellar's controller still writes, that two controllers write", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		wecs := newWECs(ctx, ns, "wec1")
		Expect(wdsClient.Create(ctx, deployment(ns, "fought"))).To(Succeed())
		newBinding(ctx, ns, wecs, clause{GVR: deploymentsGVR, Namespace: ns, Name: "fought", Single: true})
		reportStatus(ctx, wecs[0], wdsName, deploymentWorkload.ref(ns, "fought"), deploymentStatus(2, 2))
		Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "fought").Should(Equal(deploymentStatus(2, 2)))

		By("KubeStellar's controller writing its own idea of the status, as it would while it runs")
		soleWriter := func(g Gomega) string {
			u, err := getObject(ctx, gvk, ns, "fought")
			g.Expect(err).NotTo(HaveOccurred())
			u.Object["status"] = deploymentStatus(1, 1)
			g.Expect(client.IgnoreNotFound(kubeStellar().Status().Update(ctx, u))).To(Succeed())
			reason, err := reasonOf(ctx, opsNS, wdsName, ksv1alpha1.ConditionSoleWriter)
			g.Expect(err).NotTo(HaveOccurred())
			return reason
		}
		Eventually(soleWriter).WithContext(ctx).
			Should(Equal("False/" + ksv1alpha1.ReasonKubeStellarStatusControllerActive))
		Eventually(eventNotes).WithContext(ctx).WithArguments("SecondWriter").
			Should(ContainElement(ContainSubstring(ns + "/fought")))
		Eventually(func() float64 {
			return gaugeValue("reportedstate_second_writer_objects", map[string]string{"namespace": opsNS, "name": wdsName})
		}).WithContext(ctx).Should(BeNumerically(">=", 1))

		By("KubeStellar's controller turned off: the operator's status stands, and the condition clears")
		Eventually(statusOf).WithContext(ctx).WithArguments(gvk, ns, "fought").Should(Equal(deploymentStatus(2, 2)))
		Expect(wdsClient.Delete(ctx, &metav1.PartialObjectMetadata{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "fought"},
		})).To(Succeed())
		Eventually(reasonOf).WithContext(ctx).WithArguments(opsNS, wdsName, ksv1alpha1.ConditionSoleWriter).
			Should(Equal("True/" + ksv1alpha1.ReasonSoleWriter))
	})
})
