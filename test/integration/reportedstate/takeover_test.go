package reportedstate

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
	"github.com/singleton-operator/singleton-operator/internal/controller/kubestellar"
	"github.com/singleton-operator/singleton-operator/test/framework"
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
	// The procedure of docs/reported-state.md, "Taking over", against KubeStellar v0.30's real
	// controller-manager, built by hack/build-kubestellar.sh and run as a local process that finds
	// the WDS and the ITS through KubeFlex ControlPlanes as it does in a real install.
	It("takes over from KubeStellar's real controller-manager by its documented procedure, and leaves nothing stale",
		func(ctx SpecContext) {
			ns := newNamespace(ctx)
			wecs := newWECs(ctx, ns, "wec1")
			selectable(ctx, wecs[0], ns)
			d := deployment(ns, "web")
			d.SetLabels(map[string]string{"app": "web"})
			Expect(wdsClient.Create(ctx, d)).To(Succeed())
			policy := singletonPolicy(ns, "web")
			Expect(wdsClient.Create(ctx, policy)).To(Succeed())
			reportStatus(ctx, wecs[0], wdsName, deploymentWorkload.ref(ns, "web"), deploymentStatus(2, 2))

			By("KubeStellar's controller-manager as its chart runs it (every controller), this operator stopped")
			stopOp()
			restarted := false
			DeferCleanup(func() {
				if !restarted {
					stopOp = startOperator(wds.Config)
				}
			})
			stopKS := startKubeStellarProcess(ctx)
			DeferCleanup(func() { stopKS() })
			Eventually(func(g Gomega) {
				u, err := getObject(ctx, gvk, ns, "web")
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(u.Object["status"]).To(Equal(deploymentStatus(2, 2)))
				g.Expect(u.GetLabels()).To(HaveKeyWithValue(kubestellar.LabelSingletonStatus, "true"))
				g.Expect(u.GetManagedFields()).To(ContainElement(HaveField("Manager", kubestellar.KubeStellarStatusManager)))
			}).WithContext(ctx).WithTimeout(2*time.Minute).Should(Succeed(), "KubeStellar's status controller returned the status")

			By("its Deployment scaled to 0, its arguments given --controllers=binding, scaled back to 1")
			stopKS()
			stopKS = startKubeStellarProcess(ctx, "--controllers=binding")

			By("this operator started: the status stands, now under its own field manager")
			stopOp, restarted = startOperator(wds.Config), true
			Eventually(func(g Gomega) {
				u, err := getObject(ctx, gvk, ns, "web")
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(u.Object["status"]).To(Equal(deploymentStatus(2, 2)))
				g.Expect(u.GetLabels()).To(HaveKeyWithValue(kubestellar.LabelExecutingCount, "1"))
				g.Expect(u.GetManagedFields()).To(ContainElement(HaveField("Manager", kubestellar.FieldManager)))
			}).WithContext(ctx).Should(Succeed())

			By("the BindingPolicy no longer asking: KubeStellar's binding controller updates the Binding, " +
				"and nothing of the status controller's is left")
			Eventually(func() error {
				if err := wdsClient.Get(ctx, client.ObjectKeyFromObject(policy), policy); err != nil {
					return err
				}
				policy.Spec.Downsync[0].WantSingletonReportedState = false
				return wdsClient.Update(ctx, policy)
			}).WithContext(ctx).Should(Succeed())
			expectCleared(ctx, gvk, ns, "web")
			Eventually(func(g Gomega) {
				u, err := getObject(ctx, gvk, ns, "web")
				g.Expect(err).NotTo(HaveOccurred())
				for l := range u.GetLabels() {
					g.Expect(l).NotTo(HavePrefix("managed-by.kubestellar.io/"))
				}
				for _, e := range u.GetManagedFields() {
					if e.Manager == kubestellar.KubeStellarStatusManager && e.FieldsV1 != nil {
						g.Expect(e.FieldsV1.GetRawString()).NotTo(ContainSubstring(`"f:status"`))
						g.Expect(e.FieldsV1.GetRawString()).NotTo(ContainSubstring("managed-by.kubestellar.io"))
					}
				}
			}).WithContext(ctx).Should(Succeed())
			Expect(labelOf(ctx, gvk, ns, "web", "app")).To(Equal("web"), "the user's labels are kept")
		})
})

// selectable labels a WEC's OCM ManagedCluster (newWECs made it) for the BindingPolicy of the
// test namespace ns, as KubeStellar's binding controller reads the inventory.
func selectable(ctx context.Context, wec, ns string) {
	GinkgoHelper()
	mc := &unstructured.Unstructured{}
	mc.SetAPIVersion("cluster.open-cluster-management.io/v1")
	mc.SetKind("ManagedCluster")
	mc.SetName(wec)
	patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"labels":{"test-namespace":"`+ns+`"}}}`))
	Expect(itsClient.Patch(ctx, mc, patch)).To(Succeed())
}

// singletonPolicy is a BindingPolicy that sends the object labeled app=<app> of ns to the WECs
// selectable for ns, and asks singleton reported state for it.
func singletonPolicy(ns, app string) *controlv1alpha1.BindingPolicy {
	return &controlv1alpha1.BindingPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: ns},
		Spec: controlv1alpha1.BindingPolicySpec{
			ClusterSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"test-namespace": ns}}},
			Downsync: []controlv1alpha1.DownsyncPolicyClause{{
				DownsyncObjectTest: controlv1alpha1.DownsyncObjectTest{
					Namespaces:      []string{ns},
					ObjectSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"app": app}}},
				},
				DownsyncModulation: controlv1alpha1.DownsyncModulation{WantSingletonReportedState: true},
			}},
		},
	}
}

// The KubeFlex ControlPlanes of the suite's WDS and ITS, in the suite's WDS as the hosting
// cluster, as KubeStellar's controller-manager finds them.
var (
	suiteWDSControlPlane = controlPlane{name: wdsName, cpType: "wds", secret: "admin-kubeconfig", key: "kubeconfig",
		inClusterKey: "kubeconfig-incluster"}
	suiteITSControlPlane = controlPlane{name: "its1", cpType: "its", secret: "vc-vcluster", key: "config",
		inClusterKey: "config-incluster"}
	suiteControlPlanesOnce sync.Once
)

// startKubeStellarProcess runs KubeStellar's controller-manager (hack/build-kubestellar.sh) as a
// local process with the arguments its core chart's PostCreateHook gives it, plus extra, and
// returns what stops it. It finds the WDS and the ITS by their KubeFlex ControlPlanes in the
// cluster its KUBECONFIG names (the suite's WDS), reading their Secrets' key (it runs outside a
// pod). Its ports are ephemeral, and its health probe is off.
func startKubeStellarProcess(ctx context.Context, extra ...string) (stop func()) {
	GinkgoHelper()
	suiteControlPlanesOnce.Do(func() {
		for _, cp := range []struct {
			controlPlane
			cfg *rest.Config
		}{{suiteWDSControlPlane, wds.Config}, {suiteITSControlPlane, its.Config}} {
			cp.create(ctx)
			cp.writeSecret(ctx, kubeconfigFor(cp.cfg, cp.cfg.Host))
			cp.ready(ctx)
		}
	})
	build := exec.CommandContext(ctx, filepath.Join(framework.RepoRoot(), "hack", "build-kubestellar.sh"))
	build.Stderr = GinkgoWriter
	out, err := build.Output()
	Expect(err).NotTo(HaveOccurred(), "hack/build-kubestellar.sh")
	lines := splitLines(string(out))
	args := append([]string{
		"--metrics-bind-address=127.0.0.1:0", "--pprof-bind-address=127.0.0.1:0", "--health-probe-bind-address=",
		"--wds-name=" + suiteWDSControlPlane.name, "--its-name=" + suiteITSControlPlane.name, "--api-groups=", "-v=2",
	}, extra...)
	// Not CommandContext: the spec's context ends before DeferCleanup stops the process.
	cmd := exec.Command(lines[len(lines)-1], args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	cmd.Stdout, cmd.Stderr = GinkgoWriter, GinkgoWriter
	Expect(cmd.Start()).To(Succeed())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	return func() {
		if stopped {
			return
		}
		stopped = true
		// As the kubelet stops a container: SIGTERM, then SIGKILL after a grace period.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			GinkgoWriter.Printf("KubeStellar's controller-manager stopped: %v\n", err)
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			GinkgoWriter.Printf("KubeStellar's controller-manager killed: %v\n", <-done)
		}
	}
}
