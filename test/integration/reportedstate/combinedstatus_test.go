package reportedstate

import (
	"context"
	"time"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// R6: KubeStellar's StatusCollector / CombinedStatus, kept by the operator alone (KubeStellar's
// status controller is off: nothing else writes CombinedStatus objects here).
var _ = Describe("Combined status", func() {
	It("keeps the CombinedStatus of an object and a BindingPolicy from the WECs' reports", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		wecs := newWECs(ctx, ns, "wec1", "wec2", "wec3")
		Expect(wdsClient.Create(ctx, deployment(ns, "web"))).To(Succeed())
		dep, err := getObject(ctx, deploymentWorkload.gvk(), ns, "web")
		Expect(err).NotTo(HaveOccurred())
		byAvailable := newCollector(ctx, ns+"-by-available", controlv1alpha1.StatusCollectorSpec{
			GroupBy: []controlv1alpha1.NamedExpression{{Name: "available", Def: "returned.status.availableReplicas"}},
			CombinedFields: []controlv1alpha1.NamedAggregator{
				{Name: "wecs", Type: controlv1alpha1.AggregatorTypeCount},
				{Name: "replicas", Type: controlv1alpha1.AggregatorTypeSum, Subject: ptrExpr("returned.status.replicas")},
			},
			Limit: 20,
		})
		lagging := newCollector(ctx, ns+"-lagging", controlv1alpha1.StatusCollectorSpec{
			Filter: ptrExpr("returned.status.availableReplicas < obj.spec.replicas"),
			Select: []controlv1alpha1.NamedExpression{{Name: "wec", Def: "inventory.name"}},
			Limit:  20,
		})
		// No reported-state flag: a collector alone asks for a CombinedStatus.
		bp := policy(ctx, ns, wecs, clause{GVR: deploymentsGVR, Namespace: ns, Name: "web",
			Collectors: []string{lagging, byAvailable}})
		ref := deploymentWorkload.ref(ns, "web")
		reportStatus(ctx, wecs[0], wdsName, ref, deploymentStatus(2, 2))
		reportStatus(ctx, wecs[1], wdsName, ref, deploymentStatus(2, 1))
		reportStatus(ctx, wecs[2], wdsName, ref, deploymentStatus(2, 2))

		key := client.ObjectKey{Namespace: ns, Name: string(dep.GetUID()) + "." + string(bp.UID)}
		cs := &controlv1alpha1.CombinedStatus{}
		Eventually(func(g Gomega) {
			g.Expect(wdsClient.Get(ctx, key, cs)).To(Succeed())
			g.Expect(rendered(cs)).To(Equal(map[string][]string{
				byAvailable: {"Number:1,Number:1,Number:2", "Number:2,Number:2,Number:4"},
				lagging:     {"String:" + wecs[1]},
			}))
		}).WithContext(ctx).Should(Succeed())
		Expect(cs.Labels).To(Equal(map[string]string{
			"status.kubestellar.io/api-group": "apps", "status.kubestellar.io/resource": "deployments",
			"status.kubestellar.io/namespace": ns, "status.kubestellar.io/name": "web",
			"status.kubestellar.io/binding-policy": ns,
		}))
		Expect(cs.OwnerReferences).To(ConsistOf(HaveField("UID", dep.GetUID())))
		Expect(cs.Results[0].ColumnNames).To(Equal([]string{"available", "wecs", "replicas"}))
		Eventually(collectorsAvailable).WithContext(ctx).WithArguments(bp.Name).
			Should(Equal("True: All StatusCollector(s) are available"))

		By("a WEC's change reaches the CombinedStatus at once, not after KubeStellar's 5 s")
		start := time.Now()
		reportStatus(ctx, wecs[1], wdsName, ref, deploymentStatus(2, 2))
		Eventually(func(g Gomega) {
			g.Expect(wdsClient.Get(ctx, key, cs)).To(Succeed())
			g.Expect(rendered(cs)[lagging]).To(BeEmpty())
		}).WithContext(ctx).WithTimeout(3 * time.Second).WithPolling(20 * time.Millisecond).Should(Succeed())
		GinkgoWriter.Printf("WorkStatus change to CombinedStatus: %v\n", time.Since(start))
		Expect(rendered(cs)[byAvailable]).To(Equal([]string{"Number:2,Number:3,Number:6"}))
		Eventually(func() uint64 {
			return histogramCountWith("reportedstate_propagation_lag_seconds", map[string]string{"path": "combinedstatus"})
		}).WithContext(ctx).Should(BeNumerically(">", 0), "the lag into CombinedStatus is observed on its path")

		By("nothing written when nothing changed")
		version := cs.ResourceVersion
		reportStatus(ctx, wecs[0], wdsName, ref, deploymentStatus(2, 2)) // the same status again
		labelObject(ctx, ns, "web", "touched", "yes")                    // the object changed, not what collectors read
		Consistently(func() (string, error) {
			err := wdsClient.Get(ctx, key, cs)
			return cs.ResourceVersion, err
		}).WithContext(ctx).WithTimeout(subSecondQuiet).Should(Equal(version))

		By("an invalid collector is reported and stops nothing else")
		invalid := newCollector(ctx, ns+"-invalid", controlv1alpha1.StatusCollectorSpec{
			Select: []controlv1alpha1.NamedExpression{{Name: "x", Def: "returned.status.("}},
			Limit:  20,
		})
		updatePolicy(ctx, bp, wecs, clause{GVR: deploymentsGVR, Namespace: ns, Name: "web",
			Collectors: []string{lagging, byAvailable, invalid}})
		Eventually(func(g Gomega) {
			sc := &controlv1alpha1.StatusCollector{}
			g.Expect(wdsClient.Get(ctx, client.ObjectKey{Name: invalid}, sc)).To(Succeed())
			g.Expect(sc.Status.Errors).To(ConsistOf(ContainSubstring("select expression (x) invalid")))
		}).WithContext(ctx).Should(Succeed())
		Eventually(eventNotes).WithContext(ctx).WithArguments("StatusCollectorInvalid").
			Should(ContainElement(ContainSubstring(invalid)))
		reportStatus(ctx, wecs[2], wdsName, ref, deploymentStatus(2, 1))
		Eventually(func(g Gomega) {
			g.Expect(wdsClient.Get(ctx, key, cs)).To(Succeed())
			g.Expect(rendered(cs)).To(Equal(map[string][]string{
				byAvailable: {"Number:1,Number:1,Number:2", "Number:2,Number:2,Number:4"},
				lagging:     {"String:" + wecs[2]},
			}))
		}).WithContext(ctx).Should(Succeed())

		By("a collector deleted leaves the results; the policy deleted, the CombinedStatus goes")
		Expect(wdsClient.Delete(ctx, &controlv1alpha1.StatusCollector{ObjectMeta: metav1.ObjectMeta{Name: lagging}})).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(wdsClient.Get(ctx, key, cs)).To(Succeed())
			g.Expect(rendered(cs)).To(HaveLen(1))
			g.Expect(rendered(cs)).To(HaveKey(byAvailable))
		}).WithContext(ctx).Should(Succeed())
		Eventually(collectorsAvailable).WithContext(ctx).WithArguments(bp.Name).
			Should(Equal("False: Missing StatusCollector(s) [" + lagging + "]"))
		Expect(wdsClient.Delete(ctx, bp)).To(Succeed())
		Eventually(func() error { return wdsClient.Get(ctx, key, cs) }).WithContext(ctx).Should(MatchError(ContainSubstring("not found")))
	})

	It("follows WorkStatuses that come and go, and deletes the CombinedStatus of an object that is gone", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		wecs := newWECs(ctx, ns, "wec1")
		Expect(wdsClient.Create(ctx, deployment(ns, "web"))).To(Succeed())
		dep, err := getObject(ctx, deploymentWorkload.gvk(), ns, "web")
		Expect(err).NotTo(HaveOccurred())
		count := newCollector(ctx, ns+"-count", controlv1alpha1.StatusCollectorSpec{
			CombinedFields: []controlv1alpha1.NamedAggregator{{Name: "n", Type: controlv1alpha1.AggregatorTypeCount}},
		})
		bp := policy(ctx, ns, wecs, clause{GVR: deploymentsGVR, Namespace: ns, Name: "web", Collectors: []string{count}})
		key := client.ObjectKey{Namespace: ns, Name: string(dep.GetUID()) + "." + string(bp.UID)}
		cs := &controlv1alpha1.CombinedStatus{}
		Eventually(func(g Gomega) {
			g.Expect(wdsClient.Get(ctx, key, cs)).To(Succeed())
			g.Expect(rendered(cs)).To(Equal(map[string][]string{count: {"Number:0"}}), "no WEC reported yet")
		}).WithContext(ctx).Should(Succeed())
		ref := deploymentWorkload.ref(ns, "web")
		reportStatus(ctx, wecs[0], wdsName, ref, deploymentStatus(2, 2))
		Eventually(func(g Gomega) {
			g.Expect(wdsClient.Get(ctx, key, cs)).To(Succeed())
			g.Expect(rendered(cs)).To(Equal(map[string][]string{count: {"Number:1"}}))
		}).WithContext(ctx).Should(Succeed())
		By("a WorkStatus deleted leaves its WEC out")
		ws := &unstructured.Unstructured{}
		ws.SetAPIVersion("control.kubestellar.io/v1alpha1")
		ws.SetKind("WorkStatus")
		ws.SetNamespace(wecs[0])
		ws.SetName(workStatusName(wecs[0], wdsName, deploymentWorkload.ref(ns, "web")))
		Expect(itsClient.Delete(ctx, ws)).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(wdsClient.Get(ctx, key, cs)).To(Succeed())
			g.Expect(rendered(cs)).To(Equal(map[string][]string{count: {"Number:0"}}))
		}).WithContext(ctx).Should(Succeed())
		By("the object deleted, its CombinedStatus goes")
		Expect(wdsClient.Delete(ctx, dep)).To(Succeed())
		Eventually(func() error { return wdsClient.Get(ctx, key, cs) }).WithContext(ctx).Should(MatchError(ContainSubstring("not found")))
	})
})

func ptrExpr(s string) *controlv1alpha1.Expression {
	e := controlv1alpha1.Expression(s)
	return &e
}

// newCollector creates a StatusCollector and returns its name.
func newCollector(ctx context.Context, name string, spec controlv1alpha1.StatusCollectorSpec) string {
	GinkgoHelper()
	Expect(wdsClient.Create(ctx, &controlv1alpha1.StatusCollector{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec})).To(Succeed())
	return name
}

// rendered is a CombinedStatus's results: per collector, its rows as "Type:value" cells.
func rendered(cs *controlv1alpha1.CombinedStatus) map[string][]string {
	out := map[string][]string{}
	for _, r := range cs.Results {
		rows := []string{}
		for _, row := range r.Rows {
			s := ""
			for i, v := range row.Columns {
				if i > 0 {
					s += ","
				}
				s += string(v.Type)
				switch {
				case v.String != nil:
					s += ":" + *v.String
				case v.Number != nil:
					s += ":" + *v.Number
				}
			}
			rows = append(rows, s)
		}
		out[r.Name] = rows
	}
	return out
}

// labelObject sets a label on a Deployment of the WDS.
func labelObject(ctx context.Context, ns, name, key, value string) {
	GinkgoHelper()
	u, err := getObject(ctx, deploymentWorkload.gvk(), ns, name)
	Expect(err).NotTo(HaveOccurred())
	patch := client.RawPatch("application/merge-patch+json", []byte(`{"metadata":{"labels":{"`+key+`":"`+value+`"}}}`))
	Expect(wdsClient.Patch(ctx, u, patch)).To(Succeed())
}

// histogramCountWith is the number of observations of a histogram of the operator over the
// series whose labels include labels.
func histogramCountWith(name string, labels map[string]string) uint64 {
	families, err := metrics.Registry.Gather()
	Expect(err).NotTo(HaveOccurred())
	var n uint64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for k, v := range labels {
				found := false
				for _, l := range m.GetLabel() {
					if l.GetName() == k && l.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue series
				}
			}
			n += m.GetHistogram().GetSampleCount()
		}
	}
	return n
}

// collectorsAvailable is a Binding's StatusCollectorsAvailable condition, as "status: message".
func collectorsAvailable(ctx context.Context, name string) (string, error) {
	b := &controlv1alpha1.Binding{}
	if err := wdsClient.Get(ctx, client.ObjectKey{Name: name}, b); err != nil {
		return "", err
	}
	for _, c := range b.Status.Conditions {
		if c.Type == controlv1alpha1.TypeStatusCollectorsAvailable {
			return string(c.Status) + ": " + c.Message, nil
		}
	}
	return "", nil
}
