//go:build e2e

// Package e2e tests the operator deployed as a real pod in the local cluster that
// hack/cluster.sh starts: real kube-apiserver, controller-manager, scheduler, kubelet,
// containerd and runc, running real containers. Run it with `make test-e2e`, which builds the
// operator's image, imports it, deploys the operator and runs this suite inside the cluster's
// network namespace.
package e2e

import (
	"context"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/scheme"
)

// Where hack/test-e2e.sh deploys the operator.
const (
	operatorNamespace  = "singleton-operator-system"
	operatorDeployment = "singleton-operator-controller-manager"
	// operatorServiceAccount is the ServiceAccount the operator runs as.
	operatorServiceAccount = "singleton-operator-controller-manager"
	metricsService         = "singleton-operator-controller-manager-metrics-service"
	metricsReaderRole      = "singleton-operator-metrics-reader"
)

var (
	cfg       *rest.Config
	k8s       client.Client
	clientset *kubernetes.Clientset
	// operatorImage is the image hack/test-e2e.sh built and deployed.
	operatorImage = os.Getenv("E2E_OPERATOR_IMAGE")
)

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	// Every wait has a deadline, also those given the spec's context.
	EnforceDefaultTimeoutsWhenUsingContexts()
	SetDefaultEventuallyTimeout(2 * time.Minute)
	SetDefaultEventuallyPollingInterval(250 * time.Millisecond)
	RunSpecs(t, "e2e suite")
}

var _ = BeforeSuite(func(ctx SpecContext) {
	ctrl.SetLogger(zap.New(zap.WriteTo(GinkgoWriter)))
	Expect(operatorImage).NotTo(BeEmpty(), "E2E_OPERATOR_IMAGE names the deployed image; run the suite with `make test-e2e`")

	var err error
	cfg, err = ctrl.GetConfig()
	Expect(err).NotTo(HaveOccurred(), "KUBECONFIG points at the local cluster")
	k8s, err = client.New(cfg, client.Options{Scheme: scheme.New()})
	Expect(err).NotTo(HaveOccurred())
	clientset, err = kubernetes.NewForConfig(cfg)
	Expect(err).NotTo(HaveOccurred())

	By("waiting for the operator's Deployment to be available")
	Eventually(func(g Gomega) {
		d := &appsv1.Deployment{}
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: operatorDeployment}, d)).To(Succeed())
		g.Expect(d.Status.ObservedGeneration).To(Equal(d.Generation))
		g.Expect(d.Status.AvailableReplicas).To(BeNumerically(">=", 1))
	}).WithContext(ctx).Should(Succeed())
}, NodeTimeout(3*time.Minute))

// newRestrictedNamespace creates a namespace that enforces the restricted Pod Security
// Standard, as OpenShift's restricted-v2 SCC would, and deletes it after the test.
func newRestrictedNamespace(ctx context.Context) string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		GenerateName: "e2e-",
		Labels: map[string]string{
			"pod-security.kubernetes.io/enforce": "restricted",
			"pod-security.kubernetes.io/warn":    "restricted",
		},
	}}
	Expect(k8s.Create(ctx, ns)).To(Succeed())
	DeferCleanup(func(ctx SpecContext) {
		Expect(client.IgnoreNotFound(k8s.Delete(ctx, ns))).To(Succeed())
	})
	return ns.Name
}

// degradedCondition reads the Degraded condition of a StatefulSingleton from the API server.
func degradedCondition(ctx context.Context, ss *singletonv1.StatefulSingleton) (*metav1.Condition, error) {
	got := &singletonv1.StatefulSingleton{}
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(ss), got); err != nil {
		return nil, err
	}
	return meta.FindStatusCondition(got.Status.Conditions, singletonv1.ConditionDegraded), nil
}

// singletonStatus reads the status of a StatefulSingleton from the API server.
func singletonStatus(ctx context.Context, ss *singletonv1.StatefulSingleton) (singletonv1.StatefulSingletonStatus, error) {
	got := &singletonv1.StatefulSingleton{}
	err := k8s.Get(ctx, client.ObjectKeyFromObject(ss), got)
	return got.Status, err
}
