package reportedstate

import (
	"context"
	"slices"
	"strings"
	"time"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/singleton-operator/singleton-operator/internal/controller/kubestellar"
)

// R6, differential: KubeStellar v0.30's own binding and status controllers (its code, from the
// module, run in this process as its controller-manager runs them) and then this operator, each
// alone writing CombinedStatus objects on the same inputs, write those of the same collectors; the results agree field by field, apart from the differences
// docs/reported-state.md lists.
var _ = Describe("Combined status against KubeStellar's status controller", func() {
	It("writes what KubeStellar writes, apart from its documented departures", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		wecs := newWECs(ctx, ns, "wec1", "wec2", "wec3")
		dep := deployment(ns, "web")
		dep.SetLabels(map[string]string{"app": "web"})
		Expect(wdsClient.Create(ctx, dep)).To(Succeed())
		sum := func(name, t, subject string) controlv1alpha1.NamedAggregator {
			a := controlv1alpha1.NamedAggregator{Name: name, Type: controlv1alpha1.AggregatorType(t)}
			if subject != "" {
				a.Subject = ptrExpr(subject)
			}
			return a
		}
		collectors := []string{
			newCollector(ctx, ns+"-grouped", controlv1alpha1.StatusCollectorSpec{
				GroupBy:        []controlv1alpha1.NamedExpression{{Name: "available", Def: "returned.status.availableReplicas"}},
				CombinedFields: []controlv1alpha1.NamedAggregator{sum("wecs", "COUNT", ""), sum("replicas", "SUM", "returned.status.replicas")},
				Limit:          20,
			}),
			newCollector(ctx, ns+"-stats", controlv1alpha1.StatusCollectorSpec{
				CombinedFields: []controlv1alpha1.NamedAggregator{
					sum("avg", "AVG", "returned.status.availableReplicas"), sum("min", "MIN", "returned.status.availableReplicas"),
					sum("max", "MAX", "returned.status.availableReplicas"),
				},
				Limit: 20,
			}),
			newCollector(ctx, ns+"-lagging", controlv1alpha1.StatusCollectorSpec{
				Filter: ptrExpr("returned.status.availableReplicas < obj.spec.replicas"),
				Select: []controlv1alpha1.NamedExpression{{Name: "wec", Def: "inventory.name"}, {Name: "available", Def: "returned.status.availableReplicas"}},
				Limit:  20,
			}),
			newCollector(ctx, ns+"-limited", controlv1alpha1.StatusCollectorSpec{
				Select: []controlv1alpha1.NamedExpression{{Name: "wec", Def: "inventory.name"}},
				Limit:  2,
			}),
			newCollector(ctx, ns+"-failing", controlv1alpha1.StatusCollectorSpec{
				CombinedFields: []controlv1alpha1.NamedAggregator{sum("nope", "SUM", "returned.status.nope")},
				Limit:          20,
			}),
		}
		policy := &controlv1alpha1.BindingPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: ns},
			Spec: controlv1alpha1.BindingPolicySpec{
				ClusterSelectors: policySpec(wecs, nil).ClusterSelectors,
				Downsync: []controlv1alpha1.DownsyncPolicyClause{{
					DownsyncObjectTest: controlv1alpha1.DownsyncObjectTest{
						Namespaces:      []string{ns},
						ObjectSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"app": "web"}}},
					},
					DownsyncModulation: controlv1alpha1.DownsyncModulation{StatusCollectors: collectors},
				}},
			},
		}
		Expect(wdsClient.Create(ctx, policy)).To(Succeed())
		ref := deploymentWorkload.ref(ns, "web")
		reportStatus(ctx, wecs[0], wdsName, ref, deploymentStatus(2, 2))
		reportStatus(ctx, wecs[1], wdsName, ref, deploymentStatus(2, 1))
		reportStatus(ctx, wecs[2], wdsName, ref, deploymentStatus(1, 0))
		key := client.ObjectKey{Namespace: ns, Name: string(dep.GetUID()) + "." + string(policy.UID)}

		By("KubeStellar's status controller alone")
		stopOp()
		restarted := false
		DeferCleanup(func() {
			if !restarted {
				stopOp = startOperator(wds.Config)
			}
		})
		stopKS := startKubeStellar(ctx, wds.Config, its.Config)
		DeferCleanup(stopKS)
		theirs := settledCombinedStatus(ctx, key, len(collectors))
		stopKS()

		By("this operator alone, on the same Binding and WorkStatuses")
		stopOp, restarted = startOperator(wds.Config), true
		Eventually(func(g Gomega) {
			cs := &controlv1alpha1.CombinedStatus{}
			g.Expect(wdsClient.Get(ctx, key, cs)).To(Succeed())
			g.Expect(cs.ManagedFields).To(ContainElement(HaveField("Manager", kubestellar.FieldManager)))
		}).WithContext(ctx).Should(Succeed(), "the operator rewrote KubeStellar's CombinedStatus")
		ours := settledCombinedStatus(ctx, key, len(collectors))

		Expect(ours.Labels).To(Equal(theirs.Labels))
		Expect(ours.OwnerReferences).To(Equal(theirs.OwnerReferences))
		byName := func(cs *controlv1alpha1.CombinedStatus) map[string]controlv1alpha1.NamedStatusCombination {
			m := map[string]controlv1alpha1.NamedStatusCombination{}
			for _, r := range cs.Results {
				m[r.Name] = r
			}
			return m
		}
		o, t := byName(ours), byName(theirs)
		Expect(slices.Sorted(mapKeys(o))).To(Equal(slices.Sorted(mapKeys(t))))
		for name, or := range o {
			tr := t[name]
			Expect(or.ColumnNames).To(Equal(tr.ColumnNames), name)
			switch name {
			case ns + "-limited":
				// KubeStellar ignores limit; the operator keeps it (and orders rows by WEC).
				Expect(rowSet(tr)).To(HaveLen(3), name)
				Expect(rowSet(or)).To(Equal([]string{"String:" + wecs[0], "String:" + wecs[1]}), name)
			case ns + "-failing":
				// Both leave every WEC out and report the column; KubeStellar's message adds its
				// own prefix. With every WEC left out by errors KubeStellar writes no row; the
				// operator writes the aggregation of nothing, as both do when no WEC passes.
				Expect(rowSet(tr)).To(BeEmpty(), name)
				Expect(rowSet(or)).To(Equal([]string{"Number:0"}), name)
				Expect(or.RowErrors).To(HaveLen(1))
				Expect(tr.RowErrors).To(HaveLen(1))
				Expect(or.RowErrors[0].ColumnName).To(Equal(tr.RowErrors[0].ColumnName))
				Expect(tr.RowErrors[0].Error).To(ContainSubstring(or.RowErrors[0].Error))
			default:
				// The same rows; KubeStellar's order is its map's.
				Expect(rowSet(or)).To(Equal(rowSet(tr)), name)
				Expect(or.RowErrors).To(BeEmpty(), name)
				Expect(tr.RowErrors).To(BeEmpty(), name)
				Expect(or.AggregationErrors).To(Equal(tr.AggregationErrors), name)
			}
		}
		GinkgoWriter.Printf("KubeStellar: %v\noperator:   %v\n", rendered(theirs), rendered(ours))
	}, NodeTimeout(3*time.Minute))
})

// settledCombinedStatus waits until a CombinedStatus has n results and stays unchanged for a
// while (KubeStellar writes after a 5 s delay), and returns it.
func settledCombinedStatus(ctx context.Context, key client.ObjectKey, n int) *controlv1alpha1.CombinedStatus {
	GinkgoHelper()
	cs := &controlv1alpha1.CombinedStatus{}
	Eventually(func(g Gomega) {
		g.Expect(wdsClient.Get(ctx, key, cs)).To(Succeed())
		g.Expect(cs.Results).To(HaveLen(n))
		for _, r := range cs.Results {
			if !strings.HasSuffix(r.Name, "-failing") {
				g.Expect(r.Rows).NotTo(BeEmpty(), r.Name)
			}
		}
	}).WithContext(ctx).WithTimeout(time.Minute).Should(Succeed())
	version := cs.ResourceVersion
	Consistently(func() (string, error) {
		err := wdsClient.Get(ctx, key, cs)
		return cs.ResourceVersion, err
	}).WithContext(ctx).WithTimeout(6 * time.Second).WithPolling(500 * time.Millisecond).Should(Equal(version))
	return cs
}

// rowSet is a result's rows, rendered and sorted.
func rowSet(r controlv1alpha1.NamedStatusCombination) []string {
	rows := rendered(&controlv1alpha1.CombinedStatus{Results: []controlv1alpha1.NamedStatusCombination{r}})[r.Name]
	slices.Sort(rows)
	return rows
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
