package reportedstate

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"

	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
	"github.com/singleton-operator/singleton-operator/internal/controller/kubestellar"
)

// R6 and the take-over (docs/reported-state.md): KubeStellar's own status controller still
// running beside this operator rewrites the CombinedStatus objects the operator keeps with its
// own results (KubeStellar ignores a collector's limit, so the two disagree here); the
// ReportedState says so, as for the reported state of objects: its SoleWriter condition, a
// Warning event naming the CombinedStatus, the second-writer metric. KubeStellar's writes are
// made here as its status controller makes them (an update of the whole CombinedStatus under its
// field manager, pkg/status of v0.30) rather than by running it: a real one beside the operator
// also fights over the reported state of every other spec's objects, which the operator then
// tells for two minutes (differential_test.go runs the real one, alone).
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
		ours := []string{"String:" + wecs[0]}
		Eventually(func(g Gomega) []string {
			cs := &controlv1alpha1.CombinedStatus{}
			g.Expect(wdsClient.Get(ctx, key, cs)).To(Succeed())
			return rendered(cs)[limited]
		}).WithContext(ctx).Should(Equal(ours), "the operator's CombinedStatus, one row")

		By("KubeStellar's status controller writing its results, every WEC a row, as it does while it runs")
		theirs := client.WithFieldOwner(wdsClient, kubestellar.KubeStellarStatusManager)
		Eventually(func(g Gomega) []string {
			cs := &controlv1alpha1.CombinedStatus{}
			g.Expect(wdsClient.Get(ctx, key, cs)).To(Succeed())
			for i := range cs.Results {
				if cs.Results[i].Name == limited {
					cs.Results[i].Rows = []controlv1alpha1.StatusCombinationRow{
						{Columns: []controlv1alpha1.Value{{Type: controlv1alpha1.TypeString, String: ptr.To(wecs[0])}}},
						{Columns: []controlv1alpha1.Value{{Type: controlv1alpha1.TypeString, String: ptr.To(wecs[1])}}},
					}
				}
			}
			g.Expect(client.IgnoreNotFound(theirs.Update(ctx, cs))).To(Or(Succeed(), MatchError(ContainSubstring("modified"))))
			notes, err := eventNotes(ctx, "SecondWriter")
			g.Expect(err).NotTo(HaveOccurred())
			return notes
		}).WithContext(ctx).Should(ContainElement(ContainSubstring("CombinedStatus " + key.String())))
		Eventually(reasonOf).WithContext(ctx).WithArguments(opsNS, wdsName, ksv1alpha1.ConditionSoleWriter).
			Should(Equal("False/" + ksv1alpha1.ReasonKubeStellarStatusControllerActive))
		Eventually(func() float64 {
			return gaugeValue("reportedstate_second_writer_objects", map[string]string{"namespace": opsNS, "name": wdsName})
		}).WithContext(ctx).Should(BeNumerically(">=", 1))

		By("KubeStellar's controller stopped: the operator's CombinedStatus stands")
		Eventually(func(g Gomega) []string {
			cs := &controlv1alpha1.CombinedStatus{}
			g.Expect(wdsClient.Get(ctx, key, cs)).To(Succeed())
			return rendered(cs)[limited]
		}).WithContext(ctx).Should(Equal(ours))
	})
})

func ptrTo[T any](v T) *T { return &v }
