//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
	"github.com/singleton-operator/singleton-operator/test/framework"
)

// The local cluster as a KubeStellar WDS and ITS at once, for the reported-state metrics that
// need WECs reporting (the propagation lag, the writes, the WECs' health): KubeStellar's CRDs
// (config/crd/bases of github.com/kubestellar/kubestellar, the WorkStatus CRD of
// config/kubestellar) and a kind of our own (testdata), a ReportedState of the operator's own
// cluster, and two WECs whose WorkStatuses the test writes as KubeStellar's transport would.
const e2eWDSName = "e2e-wds"

var gadgetsGVR = schema.GroupVersionResource{Group: "e2e.test.io", Version: "v1", Resource: "gadgets"}

// reportThroughOwnCluster sets it up and has two WECs report a Gadget's state several times
// (one of them Failed), each round once the WDS object carries the last one and Prometheus has
// scraped its write, so that the rates and quantiles of the reported-state panels have values;
// it all goes when the spec ends.
func reportThroughOwnCluster(ctx context.Context, prom *prometheus) {
	GinkgoHelper()
	By("installing KubeStellar's CRDs and a Gadget kind, and letting the operator write Gadgets")
	ksDir, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", "github.com/kubestellar/kubestellar").Output()
	Expect(err).NotTo(HaveOccurred())
	crds, err := filepath.Glob(filepath.Join(strings.TrimSpace(string(ksDir)), "config", "crd", "bases", "*_*.yaml"))
	Expect(err).NotTo(HaveOccurred())
	Expect(crds).NotTo(BeEmpty())
	crds = append(crds, "../../config/kubestellar/control.kubestellar.io_workstatuses.yaml", "testdata/gadgets.e2e.test.io.yaml")
	kubectlCRDs := func(ctx context.Context, verb string, extra ...string) (string, error) {
		args := make([]string, 0, 1+2*len(crds)+len(extra))
		args = append(args, verb)
		for _, c := range crds {
			args = append(args, "-f", c)
		}
		out, err := exec.CommandContext(ctx, "kubectl", append(args, extra...)...).CombinedOutput()
		return string(out), err
	}
	out, err := kubectlCRDs(ctx, "apply", "--server-side")
	Expect(err).NotTo(HaveOccurred(), out)
	DeferCleanup(func(ctx SpecContext) {
		deleted, err := kubectlCRDs(ctx, "delete", "--ignore-not-found", "--wait=false")
		Expect(err).NotTo(HaveOccurred(), deleted)
	})
	out, err = kubectlCRDs(ctx, "wait", "--for", "condition=established", "--timeout=60s")
	Expect(err).NotTo(HaveOccurred(), out)

	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-reportedstate-gadgets"},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{gadgetsGVR.Group}, Resources: []string{"gadgets", "gadgets/status"},
			Verbs: []string{"get", "list", "watch", "patch", "update"},
		}},
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects: []rbacv1.Subject{{
			Kind: rbacv1.ServiceAccountKind, Namespace: operatorNamespace, Name: "singleton-operator-controller-manager",
		}},
	}
	for _, o := range []client.Object{role, binding} {
		Expect(k8s.Create(ctx, o)).To(Succeed())
		DeferCleanup(func(ctx SpecContext) { Expect(ignoreGone(k8s.Delete(ctx, o))).To(Succeed()) })
	}

	By("creating a Gadget in the WDS, a StatusCollector and a Binding that sends it to two WECs")
	ns := newRestrictedNamespace(ctx)
	wecs := []string{ns + "-wec1", ns + "-wec2"}
	for _, w := range wecs {
		wec := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: w}}
		Expect(k8s.Create(ctx, wec)).To(Succeed())
		DeferCleanup(func(ctx SpecContext) { Expect(ignoreGone(k8s.Delete(ctx, wec))).To(Succeed()) })
	}
	gadget := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "e2e.test.io/v1", "kind": "Gadget",
		"metadata": map[string]any{"namespace": ns, "name": "g"},
		"spec":     map[string]any{"size": int64(1)},
	}}
	Expect(k8s.Create(ctx, gadget)).To(Succeed())
	policy := &controlv1alpha1.BindingPolicy{ObjectMeta: metav1.ObjectMeta{Name: ns}}
	collector := &controlv1alpha1.StatusCollector{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-count"},
		Spec: controlv1alpha1.StatusCollectorSpec{
			CombinedFields: []controlv1alpha1.NamedAggregator{{Name: "wecs", Type: controlv1alpha1.AggregatorTypeCount}},
			Limit:          10,
		},
	}
	b := &controlv1alpha1.Binding{ObjectMeta: metav1.ObjectMeta{Name: ns}}
	framework.SetBinding(b, wecs, framework.Clause{GVR: gadgetsGVR, Namespace: ns, Name: "g", Multi: true,
		Collectors: []string{collector.Name}})
	for _, o := range []runtime.Object{policy, collector, b} {
		u := toUnstructured(o)
		Expect(k8s.Create(ctx, u)).To(Succeed())
		DeferCleanup(func(ctx SpecContext) { Expect(ignoreGone(k8s.Delete(ctx, u))).To(Succeed()) })
	}

	By("connecting a ReportedState to the operator's own cluster as WDS and ITS")
	rs := &ksv1alpha1.ReportedState{
		ObjectMeta: metav1.ObjectMeta{Namespace: operatorNamespace, Name: "e2e-own-cluster"},
		Spec:       ksv1alpha1.ReportedStateSpec{WDSName: e2eWDSName},
	}
	Expect(k8s.Create(ctx, rs)).To(Succeed())
	DeferCleanup(func(ctx SpecContext) { Expect(ignoreGone(k8s.Delete(ctx, rs))).To(Succeed()) })

	By("reporting the Gadget from both WECs, the second one Failed, round after round, a scrape apart")
	writes := func() (float64, error) {
		out, err := prom.query(ctx, `sum(reportedstate_status_writes_total{result="applied"})`)
		if err != nil || len(out) == 0 {
			return 0, err
		}
		return out[0].Value, nil
	}
	for round := 1; round <= 8; round++ {
		before, err := writes()
		Expect(err).NotTo(HaveOccurred())
		writeWorkStatus(ctx, wecs[0], ns, map[string]any{
			"observedGeneration": int64(1),
			"conditions":         []any{map[string]any{"type": "Ready", "status": "True", "reason": "Round", "message": fmt.Sprint(round)}},
		})
		writeWorkStatus(ctx, wecs[1], ns, map[string]any{
			"observedGeneration": int64(1),
			"conditions": []any{map[string]any{"type": "Stalled", "status": "True", "reason": "Broken",
				"message": fmt.Sprint("round ", round)}},
		})
		Eventually(func(g Gomega) {
			got := &unstructured.Unstructured{}
			got.SetGroupVersionKind(gadget.GroupVersionKind())
			g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(gadget), got)).To(Succeed())
			g.Expect(got.GetLabels()).To(HaveKeyWithValue("managed-by.kubestellar.io/multiwecstatus", "true"))
			g.Expect(fmt.Sprint(got.Object["status"])).To(ContainSubstring(fmt.Sprint("round ", round)),
				"the WDS object shows this round's reports")
		}).WithContext(ctx).WithTimeout(time.Minute).Should(Succeed())
		Eventually(writes).WithContext(ctx).WithTimeout(time.Minute).Should(BeNumerically(">", before),
			"Prometheus scraped this round's write")
	}
}

// writeWorkStatus creates or updates the WorkStatus of the Gadget g of namespace ns in a WEC.
func writeWorkStatus(ctx context.Context, wec, ns string, status map[string]any) {
	GinkgoHelper()
	ws := &unstructured.Unstructured{}
	ws.SetAPIVersion("control.kubestellar.io/v1alpha1")
	ws.SetKind("WorkStatus")
	ws.SetNamespace(wec)
	ws.SetName("gadget-" + ns + "-g")
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(ws), ws); err != nil {
		Expect(client.IgnoreNotFound(err)).To(Succeed())
		ws.SetLabels(map[string]string{"transport.kubestellar.io/originWdsName": e2eWDSName})
		ws.Object["spec"] = map[string]any{"sourceRef": map[string]any{
			"group": gadgetsGVR.Group, "version": gadgetsGVR.Version, "resource": gadgetsGVR.Resource, "kind": "Gadget",
			"namespace": ns, "name": "g",
		}}
		Expect(k8s.Create(ctx, ws)).To(Succeed())
	}
	ws.Object["status"] = status
	Expect(k8s.Status().Update(ctx, ws)).To(Succeed())
}

// toUnstructured turns a typed KubeStellar object (the e2e client's scheme lacks their types).
func toUnstructured(o runtime.Object) *unstructured.Unstructured {
	GinkgoHelper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	Expect(err).NotTo(HaveOccurred())
	u := &unstructured.Unstructured{Object: m}
	kind := map[string]string{
		"*v1alpha1.BindingPolicy": "BindingPolicy", "*v1alpha1.StatusCollector": "StatusCollector", "*v1alpha1.Binding": "Binding",
	}[fmt.Sprintf("%T", o)]
	Expect(kind).NotTo(BeEmpty())
	u.SetAPIVersion("control.kubestellar.io/v1alpha1")
	u.SetKind(kind)
	return u
}
