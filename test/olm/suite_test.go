//go:build olm

// Package olm installs the operator with OLM v0 on the local cluster and upgrades it, as a user of
// OperatorHub would: a CatalogSource, an OperatorGroup and a Subscription with manual approval.
// OLM's olm and catalog operators run as local processes, and the catalog (the repository's
// released bundles plus the current bundle/, objects embedded) is served by `opm serve`, all
// inside the cluster's network namespace. Run it with `make test-olm` (hack/test-olm.sh), which
// builds and starts all of that and passes what it built in the environment.
package olm

import (
	"context"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	operatorsv1 "github.com/operator-framework/api/pkg/operators/v1"
	operatorsv1alpha1 "github.com/operator-framework/api/pkg/operators/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/singleton-operator/singleton-operator/internal/scheme"
)

// What hack/test-olm.sh built, imported and started.
var (
	// catalogAddress is where `opm serve` listens.
	catalogAddress = os.Getenv("OLM_CATALOG_ADDRESS")
	// catalogNamespace is OLM's global catalog namespace (the catalog operator's --namespace).
	catalogNamespace = os.Getenv("OLM_CATALOG_NAMESPACE")
	// previousCSV and previousImage: the last release in catalog/, the one installed first.
	previousCSV   = os.Getenv("OLM_PREVIOUS_CSV")
	previousImage = os.Getenv("OLM_PREVIOUS_IMAGE")
	// currentCSV and currentImage: bundle/, the upgrade.
	currentCSV   = os.Getenv("OLM_CURRENT_CSV")
	currentImage = os.Getenv("OLM_CURRENT_IMAGE")
)

// Names the bundle gives the operator's objects.
const (
	packageName        = "singleton-operator"
	operatorDeployment = "singleton-operator-controller-manager"
	metricsService     = "singleton-operator-controller-manager-metrics-service"
	metricsCertSecret  = "singleton-operator-metrics-server-cert"
	metricsReaderRole  = "singleton-operator-metrics-reader"
	// upgradeChannel is the channel a release enters when it is cut (hack/catalog.sh release),
	// before its promotion to stable-v0: hack/catalog.sh preview adds bundle/ there.
	upgradeChannel = "candidate-v0"
	// operatorNamespace is where the test subscribes: the CSV's suggested namespace, as in
	// docs/install.md.
	operatorNamespace = "singleton-operator-system"
)

var (
	k8s       client.Client
	clientset *kubernetes.Clientset
)

func TestOLM(t *testing.T) {
	RegisterFailHandler(Fail)
	// Every wait has a deadline, also those given the spec's context.
	EnforceDefaultTimeoutsWhenUsingContexts()
	SetDefaultEventuallyTimeout(3 * time.Minute)
	SetDefaultEventuallyPollingInterval(500 * time.Millisecond)
	RunSpecs(t, "OLM install and upgrade suite")
}

var _ = BeforeSuite(func() {
	ctrl.SetLogger(zap.New(zap.WriteTo(GinkgoWriter)))
	for name, v := range map[string]string{
		"OLM_CATALOG_ADDRESS": catalogAddress, "OLM_CATALOG_NAMESPACE": catalogNamespace,
		"OLM_PREVIOUS_CSV": previousCSV, "OLM_PREVIOUS_IMAGE": previousImage,
		"OLM_CURRENT_CSV": currentCSV, "OLM_CURRENT_IMAGE": currentImage,
	} {
		Expect(v).NotTo(BeEmpty(), "%s is set; run the suite with `make test-olm`", name)
	}
	s := scheme.New()
	utilruntime.Must(operatorsv1alpha1.AddToScheme(s))
	utilruntime.Must(operatorsv1.AddToScheme(s))
	utilruntime.Must(apiextensionsv1.AddToScheme(s))
	cfg, err := ctrl.GetConfig()
	Expect(err).NotTo(HaveOccurred(), "KUBECONFIG points at the local cluster")
	k8s, err = client.New(cfg, client.Options{Scheme: s})
	Expect(err).NotTo(HaveOccurred())
	clientset, err = kubernetes.NewForConfig(cfg)
	Expect(err).NotTo(HaveOccurred())
})

// newNamespace creates a namespace that enforces the restricted Pod Security Standard, as
// OpenShift's restricted-v2 SCC would.
func newNamespace(ctx context.Context, name string) {
	Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: name,
		Labels: map[string]string{
			"pod-security.kubernetes.io/enforce": "restricted",
			"pod-security.kubernetes.io/warn":    "restricted",
		},
	}})).To(Succeed())
}
