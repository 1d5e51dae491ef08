// Package integration tests the operator against a real kube-apiserver and etcd: the CRD
// schema (defaults, OpenAPI and CEL validation) and the reconcilers, which run in a manager
// as they do in production. There is no controller-manager, scheduler or kubelet here: pods
// are objects only. Tests that need running pods are in test/e2e.
package integration

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/singleton-operator/singleton-operator/internal/controller/apps"
	"github.com/singleton-operator/singleton-operator/test/framework"
)

var (
	cluster *framework.APIServer
	k8s     client.Client
)

func TestIntegration(t *testing.T) {
	RegisterFailHandler(Fail)
	// Every wait has a deadline, also those given the spec's context.
	EnforceDefaultTimeoutsWhenUsingContexts()
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	RunSpecs(t, "Integration suite")
}

var _ = BeforeSuite(func(_ SpecContext) {
	ctrl.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))

	var err error
	cluster, err = framework.StartAPIServer("cluster", "config/crd/bases")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(cluster.Stop)
	k8s = cluster.Client

	DeferCleanup(startOperator(cluster.Config, cluster.Env.Scheme))
}, NodeTimeout(2*time.Minute))

// startOperator runs the operator's reconcilers in a manager of their own against an API
// server, as cmd/main.go does, and returns what stops it. Several may run in one test process.
func startOperator(cfg *rest.Config, scheme *runtime.Scheme) (stop func()) {
	GinkgoHelper()
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
	})
	Expect(err).NotTo(HaveOccurred())
	Expect((&apps.StatefulSingletonReconciler{
		Client:   mgr.GetClient(),
		Recorder: mgr.GetEventRecorder("statefulsingleton-controller"),
	}).SetupWithManager(mgr)).To(Succeed())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		defer GinkgoRecover()
		done <- mgr.Start(ctx)
	}()
	return func() {
		cancel()
		Eventually(done).Should(Receive(Not(HaveOccurred())), "the manager stops without error")
	}
}

// newNamespace creates a namespace of its own for one test.
func newNamespace(ctx context.Context) string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "it-"}}
	Expect(k8s.Create(ctx, ns)).To(Succeed())
	return ns.Name
}
