// Package reportedstate tests the KubeStellar reported-state reconciler against two real API
// servers, a WDS (KubeStellar's Binding CRDs) and an ITS (the WorkStatus CRD of
// ocm-status-addon, OCM's ManagedCluster), with the operator running in a manager as
// cmd/main.go runs it, and KubeStellar's own binding controller making the Bindings from
// BindingPolicies (bindings_test.go). The WDS is also the cluster the operator runs in;
// the ReportedState reaches both through kubeconfig Secrets, the ITS through a TCP relay that a
// test can cut to take the ITS away.
package reportedstate

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"

	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
	"github.com/singleton-operator/singleton-operator/internal/controller/kubestellar"
	"github.com/singleton-operator/singleton-operator/internal/scheme"
	"github.com/singleton-operator/singleton-operator/test/framework"
)

// The WDS name of the ReportedState under test; WorkStatuses of other WDSes carry another.
const wdsName = "wds1"

var (
	wds, its   *framework.APIServer
	wdsClient  client.Client
	itsClient  client.Client
	itsRelay   *relay
	opsNS      string
	stopOp     func()
	kubeconfig string // a kubeconfig file for kubectl against the WDS
	// itsKubeconfig is one for the ITS, which also holds the tests' WEC objects.
	itsKubeconfig string
)

func TestReportedState(t *testing.T) {
	RegisterFailHandler(Fail)
	EnforceDefaultTimeoutsWhenUsingContexts()
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	RunSpecs(t, "Reported state suite")
}

var _ = BeforeSuite(func(ctx SpecContext) {
	ctrl.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	ksDir := kubestellarCRDs()

	var err error
	// The WDS is also the cluster the operator runs in, the KubeFlex hosting cluster, with
	// KubeFlex's own ControlPlane CRD (v0.9.3) from the start: KubeStellar's binding controller,
	// which runs in this process and watches every resource, keeps watching a CRD installed
	// mid-suite after it was stopped, and the WDS would not shut down.
	wds, err = framework.StartAPIServer("wds", "config/crd/bases", ksDir, "test/integration/reportedstate/testdata",
		moduleDir("github.com/kubestellar/kubeflex", "config", "crd", "bases"))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(wds.Stop)
	// The ITS also has OCM's ManagedCluster, for KubeStellar's own binding controller
	// (bindings_test.go).
	its, err = framework.StartAPIServer("its", "config/kubestellar", moduleDir("open-cluster-management.io/api", "cluster", "v1"))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(its.Stop)

	wdsClient, err = client.New(wds.Config, client.Options{Scheme: testScheme()})
	Expect(err).NotTo(HaveOccurred())
	itsClient, err = client.New(its.Config, client.Options{Scheme: testScheme()})
	Expect(err).NotTo(HaveOccurred())

	itsRelay, err = startRelay(its.Config.Host)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(itsRelay.Close)

	kubeconfig = filepath.Join(GinkgoT().TempDir(), "wds.kubeconfig")
	Expect(os.WriteFile(kubeconfig, kubeconfigFor(wds.Config, wds.Config.Host), 0o600)).To(Succeed())
	itsKubeconfig = filepath.Join(GinkgoT().TempDir(), "its.kubeconfig")
	Expect(os.WriteFile(itsKubeconfig, kubeconfigFor(its.Config, its.Config.Host), 0o600)).To(Succeed())

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ops"}}
	Expect(wdsClient.Create(ctx, ns)).To(Succeed())
	opsNS = ns.Name
	Expect(wdsClient.Create(ctx, kubeconfigSecret(opsNS, "wds-kubeconfig", wds.Config, wds.Config.Host))).To(Succeed())
	Expect(wdsClient.Create(ctx, kubeconfigSecret(opsNS, "its-kubeconfig", its.Config, itsRelay.URL()))).To(Succeed())

	startBindingController()
	DeferCleanup(stopBindingController)

	stopOp = startOperator(wds.Config)
	DeferCleanup(func() { stopOp() })

	rs := &ksv1alpha1.ReportedState{
		ObjectMeta: metav1.ObjectMeta{Namespace: opsNS, Name: wdsName},
		Spec: ksv1alpha1.ReportedStateSpec{
			WDSName: wdsName,
			WDS:     ksv1alpha1.ClusterRef{KubeconfigSecretRef: &ksv1alpha1.SecretKeyRef{Name: "wds-kubeconfig"}},
			ITS:     ksv1alpha1.ClusterRef{KubeconfigSecretRef: &ksv1alpha1.SecretKeyRef{Name: "its-kubeconfig"}},
		},
	}
	Expect(wdsClient.Create(ctx, rs)).To(Succeed())
	Eventually(condition).WithContext(ctx).WithArguments(opsNS, wdsName, ksv1alpha1.ConditionReady).
		Should(Equal(metav1.ConditionTrue))
}, NodeTimeout(3*time.Minute))

// startOperator runs the reconcilers in a manager against the WDS, as cmd/main.go does, and
// returns what stops it.
func startOperator(cfg *rest.Config) (stop func()) {
	GinkgoHelper()
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme.New(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
	})
	Expect(err).NotTo(HaveOccurred())
	Expect((&kubestellar.Reconciler{
		Client:        mgr.GetClient(),
		Recorder:      mgr.GetEventRecorder("reportedstate-controller"),
		Config:        mgr.GetConfig(),
		ProbeInterval: 500 * time.Millisecond,
		// As deployed: the operator serves ReportedStates of its own namespace only.
		SecretNamespace: opsNS,
	}).SetupWithManager(mgr)).To(Succeed())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		defer GinkgoRecover()
		done <- mgr.Start(ctx)
	}()
	return func() {
		cancel()
		Eventually(done).WithTimeout(time.Minute).Should(Receive(Not(HaveOccurred())), "the manager stops without error")
	}
}

func testScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(controlv1alpha1.AddToScheme(s))
	utilruntime.Must(ksv1alpha1.AddToScheme(s))
	return s
}

// kubestellarCRDs is KubeStellar's CRD directory, relative to the repository root.
func kubestellarCRDs() string {
	GinkgoHelper()
	return moduleDir("github.com/kubestellar/kubestellar", "config", "crd", "bases")
}

// moduleDir is a directory of a module of the build, relative to the repository root.
func moduleDir(module string, elem ...string) string {
	GinkgoHelper()
	dir, err := framework.ModuleDir(module, elem...)
	Expect(err).NotTo(HaveOccurred())
	return dir
}

// condition reads the status of a ReportedState condition.
func condition(ctx context.Context, namespace, name, t string) (metav1.ConditionStatus, error) {
	rs := &ksv1alpha1.ReportedState{}
	if err := wdsClient.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, rs); err != nil {
		return "", err
	}
	for _, c := range rs.Status.Conditions {
		if c.Type == t {
			return c.Status, nil
		}
	}
	return "", nil
}
