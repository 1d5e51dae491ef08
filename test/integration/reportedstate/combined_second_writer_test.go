package reportedstate

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"

	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
	"github.com/singleton-operator/singleton-operator/internal/controller/kubestellar"
)

// R6 and the take-over (docs/reported-state.md): KubeStellar's own status controller still
// running beside this operator rewrites the CombinedStatus objects the operator keeps (here a
// collector with a limit, which KubeStellar ignores, so the two disagree); the ReportedState says
// so, as for the reported state of objects: its SoleWriter condition, a Warning event naming the
// CombinedStatus, the second-writer metric.
var _ = Describe("KubeStellar's status controller writing CombinedStatus objects too", func() {
	It("is told by a condition, a Warning event and the metric", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		wecs := newWECs(ctx, ns, "wec1", "wec2")
		Expect(wdsClient.Create(ctx, deployment(ns, "web"))).To(Succeed())
		dep, err := getObject(ctx, deploymentWorkload.gvk(), ns, "web")
		Expect(err).NotTo(HaveOccurred())
		limited := newCollector(ctx, ns+"-limited", controlv1alpha1.StatusCollectorSpec{
			Select: []controlv1alpha1.NamedExpression{{Name: "wec", Def: "inventory.name"}},
			Limit:  1,
		})
		bp := policy(ctx, ns, wecs, clause{GVR: deploymentsGVR, Namespace: ns, Name: "web", Collectors: []string{limited}})
		ref := deploymentWorkload.ref(ns, "web")
		reportStatus(ctx, wecs[0], wdsName, ref, deploymentStatus(2, 2))
		reportStatus(ctx, wecs[1], wdsName, ref, deploymentStatus(2, 1))
		key := client.ObjectKey{Namespace: ns, Name: string(dep.GetUID()) + "." + string(bp.UID)}
		Eventually(func(g Gomega) []string {
			cs := &controlv1alpha1.CombinedStatus{}
			g.Expect(wdsClient.Get(ctx, key, cs)).To(Succeed())
			return rendered(cs)[limited]
		}).WithContext(ctx).Should(Equal([]string{"String:" + wecs[0]}), "the operator's CombinedStatus, one row")

		By("KubeStellar's status controller running too")
		stopKS := startKubeStellar(ctx, wds.Config, its.Config)
		DeferCleanup(stopKS)
		Eventually(eventNotes).WithContext(ctx).WithArguments("SecondWriter").WithTimeout(time.Minute).
			Should(ContainElement(ContainSubstring("CombinedStatus " + key.String())))
		Eventually(reasonOf).WithContext(ctx).WithArguments(opsNS, wdsName, ksv1alpha1.ConditionSoleWriter).
			Should(Equal("False/" + ksv1alpha1.ReasonKubeStellarStatusControllerActive))
		Eventually(func() float64 {
			return gaugeValue("reportedstate_second_writer_objects", map[string]string{"namespace": opsNS, "name": wdsName})
		}).WithContext(ctx).Should(BeNumerically(">=", 1))
		stopKS()

		By("KubeStellar's controller stopped: the operator's CombinedStatus stands")
		Eventually(func(g Gomega) {
			cs := &controlv1alpha1.CombinedStatus{}
			g.Expect(wdsClient.Get(ctx, key, cs)).To(Succeed())
			g.Expect(rendered(cs)[limited]).To(Equal([]string{"String:" + wecs[0]}))
			g.Expect(cs.ManagedFields).To(ContainElement(HaveField("Manager", kubestellar.FieldManager)))
		}).WithContext(ctx).Should(Succeed())
	}, NodeTimeout(3*time.Minute))
})
