package reportedstate

import (
	"context"
	"fmt"
	"slices"
	"sync"

	ksbinding "github.com/kubestellar/kubestellar/pkg/binding"
	ksmetrics "github.com/kubestellar/kubestellar/pkg/metrics"
	ksstatus "github.com/kubestellar/kubestellar/pkg/status"
	ksutil "github.com/kubestellar/kubestellar/pkg/util"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	k8smetrics "k8s.io/component-base/metrics"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"

	"github.com/singleton-operator/singleton-operator/test/framework"
)

// The suite's Bindings are made by KubeStellar v0.30's own binding controller (its code, from
// the module, run in this process as its controller-manager runs it with
// --controllers=binding) from BindingPolicies and OCM ManagedClusters in the ITS, as in a real
// KubeStellar: policy (below) creates a BindingPolicy and waits for its Binding. A test that
// needs KubeStellar's status controller swaps in both (startKubeStellar). Hand-written
// Bindings (newBinding in helpers_test.go) remain for what the binding controller cannot
// produce, each use saying why.

// labelWEC is the ManagedCluster label the tests' BindingPolicies select WECs by.
const labelWEC = "name"

// ksRun is the suite's run of KubeStellar's controllers: the binding controller alone, unless a
// test asked for the status controller too (startKubeStellar).
var ksRun struct {
	mu   sync.Mutex
	stop func()
}

// startBindingController runs KubeStellar's binding controller for the rest of the suite (until
// a test swaps it, see startKubeStellar).
func startBindingController() {
	GinkgoHelper()
	ksRun.mu.Lock()
	defer ksRun.mu.Unlock()
	ksRun.stop = runKubeStellar(wds.Config, its.Config, false)
}

// stopBindingController stops the suite's run of KubeStellar's controllers.
func stopBindingController() {
	ksRun.mu.Lock()
	defer ksRun.mu.Unlock()
	if ksRun.stop != nil {
		ksRun.stop()
		ksRun.stop = nil
	}
}

// startKubeStellar runs KubeStellar v0.30's binding and status controllers for the WDS, as its
// controller-manager does by default, in place of the suite's binding controller alone (the
// status controller learns the BindingPolicies from a binding controller started with it), and
// returns what goes back to the binding controller alone; it can be called more than once.
func startKubeStellar(_ context.Context, wdsCfg, itsCfg *rest.Config) (stop func()) {
	GinkgoHelper()
	stopBindingController()
	stopBoth := runKubeStellar(wdsCfg, itsCfg, true)
	var once sync.Once
	return func() {
		once.Do(func() {
			stopBoth()
			startBindingController()
		})
	}
}

// runKubeStellar starts KubeStellar's binding controller, and its status controller if status,
// wired as its controller-manager wires them, until the returned function is called.
func runKubeStellar(wdsCfg, itsCfg *rest.Config, status bool) (stop func()) {
	GinkgoHelper()
	ctx, cancel := context.WithCancel(context.Background())
	logger := ctrllog.Log.WithName("kubestellar")
	ctx = ctrllog.IntoContext(ctx, logger)
	metrics := ksmetrics.NewMultiSpaceClientMetrics()
	ksmetrics.MustRegister(k8smetrics.NewKubeRegistry().Register, metrics)
	relay := &statusRelay{}
	bc, err := ksbinding.NewController(logger, metrics.MetricsForSpace("wds"), metrics.MetricsForSpace("its"),
		rest.CopyConfig(wdsCfg), rest.CopyConfig(itsCfg), wdsName, nil, relay)
	Expect(err).NotTo(HaveOccurred())
	Expect(bc.AppendKSResources(ctx)).To(Succeed())
	listers := make(chan any, 1)
	if status {
		sc, err := ksstatus.NewController(logger, metrics.MetricsForSpace("wds"), metrics.MetricsForSpace("its"),
			rest.CopyConfig(wdsCfg), rest.CopyConfig(itsCfg), wdsName, bc.GetBindingPolicyResolver())
		Expect(err).NotTo(HaveOccurred())
		relay.set(sc)
		Expect(bc.Start(ctx, 2, listers)).To(Succeed())
		Expect(sc.Start(ctx, 2, listers)).To(Succeed())
		return cancel
	}
	Expect(bc.Start(ctx, 2, listers)).To(Succeed())
	return cancel
}

// statusRelay hands the binding controller's workload events to the status controller that
// runs, if any, as KubeStellar's controller-manager does.
type statusRelay struct {
	mu     sync.Mutex
	status *ksstatus.Controller
}

func (r *statusRelay) set(sc *ksstatus.Controller) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = sc
}

func (r *statusRelay) HandleWorkloadObjectEvent(gvr schema.GroupVersionResource, oldObj, obj ksutil.MRObject,
	eventType ksbinding.WorkloadEventType, wasDeletedFinalStateUnknown bool) {
	r.mu.Lock()
	sc := r.status
	r.mu.Unlock()
	if sc != nil {
		sc.HandleWorkloadObjectEvent(gvr, oldObj, obj, eventType, wasDeletedFinalStateUnknown)
	}
}

// policy creates a BindingPolicy that sends the objects of the clauses (which must exist) to the
// WECs, and waits until KubeStellar's binding controller wrote its Binding (of the same name) so.
// The policy goes when the spec ends: a KubeStellar status controller a later spec starts (it
// learns the BindingPolicies, not the Bindings) would otherwise return status into this spec's
// objects too. Its Binding stays, as until a garbage collector (none runs here) removes it: the
// operator keeps what it wrote, instead of clearing objects after every spec.
func policy(ctx context.Context, name string, wecs []string, clauses ...clause) *controlv1alpha1.BindingPolicy {
	GinkgoHelper()
	bp := &controlv1alpha1.BindingPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: policySpec(wecs, clauses)}
	Expect(wdsClient.Create(ctx, bp)).To(Succeed())
	DeferCleanup(func(ctx SpecContext) {
		Expect(client.IgnoreNotFound(wdsClient.Delete(ctx, &controlv1alpha1.BindingPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}}))).
			To(Succeed())
	})
	awaitBinding(ctx, name, wecs, clauses)
	return bp
}

// updatePolicy changes a BindingPolicy and waits for its Binding to follow.
func updatePolicy(ctx context.Context, bp *controlv1alpha1.BindingPolicy, wecs []string, clauses ...clause) {
	GinkgoHelper()
	Eventually(func() error {
		if err := wdsClient.Get(ctx, client.ObjectKeyFromObject(bp), bp); err != nil {
			return err
		}
		bp.Spec = policySpec(wecs, clauses)
		return wdsClient.Update(ctx, bp)
	}).WithContext(ctx).Should(Succeed())
	awaitBinding(ctx, bp.Name, wecs, clauses)
}

// deletePolicy deletes a BindingPolicy and then its Binding, as Kubernetes' garbage collector
// does in a real WDS (KubeStellar makes the policy the Binding's owner and leaves the rest to
// the collector, which the test's API servers do not run).
func deletePolicy(ctx context.Context, bp *controlv1alpha1.BindingPolicy) {
	GinkgoHelper()
	Expect(client.IgnoreNotFound(wdsClient.Delete(ctx, bp))).To(Succeed())
	Eventually(func() error {
		return wdsClient.Get(ctx, client.ObjectKeyFromObject(bp), &controlv1alpha1.BindingPolicy{})
	}).WithContext(ctx).Should(MatchError(ContainSubstring("not found")), "KubeStellar releases its finalizer")
	Expect(client.IgnoreNotFound(wdsClient.Delete(ctx, &controlv1alpha1.Binding{ObjectMeta: metav1.ObjectMeta{Name: bp.Name}}))).
		To(Succeed())
}

// policySpec selects the WECs by name and each clause's object by group, resource, namespace
// and name, with the clause's reported-state flags and collectors.
func policySpec(wecs []string, clauses []clause) controlv1alpha1.BindingPolicySpec {
	var spec controlv1alpha1.BindingPolicySpec
	for _, w := range wecs {
		spec.ClusterSelectors = append(spec.ClusterSelectors, metav1.LabelSelector{MatchLabels: map[string]string{labelWEC: w}})
	}
	for _, c := range clauses {
		test := controlv1alpha1.DownsyncObjectTest{
			APIGroup: &c.GVR.Group, Resources: []string{c.GVR.Resource}, ObjectNames: []string{c.Name},
		}
		if c.Namespace != "" {
			test.Namespaces = []string{c.Namespace}
		}
		spec.Downsync = append(spec.Downsync, controlv1alpha1.DownsyncPolicyClause{
			DownsyncObjectTest: test,
			DownsyncModulation: controlv1alpha1.DownsyncModulation{
				WantSingletonReportedState: c.Single, WantMultiWECReportedState: c.Multi, StatusCollectors: c.Collectors,
			},
		})
	}
	return spec
}

// awaitBinding waits until the Binding of a policy sends exactly the clauses' objects, with
// their flags, to exactly the WECs.
func awaitBinding(ctx context.Context, name string, wecs []string, clauses []clause) {
	GinkgoHelper()
	want := &controlv1alpha1.Binding{}
	framework.SetBinding(want, wecs, clauses...)
	Eventually(func(g Gomega) []string {
		b := &controlv1alpha1.Binding{}
		g.Expect(wdsClient.Get(ctx, client.ObjectKey{Name: name}, b)).To(Succeed())
		return bindingLines(b)
	}).WithContext(ctx).Should(Equal(bindingLines(want)), "KubeStellar's binding controller writes Binding %s", name)
}

// bindingLines renders what a Binding sends where, sorted, without the objects' versions.
func bindingLines(b *controlv1alpha1.Binding) []string {
	var out []string
	for _, d := range b.Spec.Destinations {
		out = append(out, "to "+d.ClusterId)
	}
	mod := func(m controlv1alpha1.DownsyncModulation) string {
		collectors := slices.Clone(m.StatusCollectors)
		slices.Sort(collectors)
		return fmt.Sprintf("singleton=%v multi=%v collectors=%v", m.WantSingletonReportedState, m.WantMultiWECReportedState, collectors)
	}
	for _, o := range b.Spec.Workload.NamespaceScope {
		out = append(out, fmt.Sprintf("%s/%s/%s %s/%s %s", o.Group, o.Version, o.Resource, o.Namespace, o.Name, mod(o.DownsyncModulation)))
	}
	for _, o := range b.Spec.Workload.ClusterScope {
		out = append(out, fmt.Sprintf("%s/%s/%s %s %s", o.Group, o.Version, o.Resource, o.Name, mod(o.DownsyncModulation)))
	}
	slices.Sort(out)
	return out
}
