//go:build olm

package olm

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	operatorsv1 "github.com/operator-framework/api/pkg/operators/v1"
	operatorsv1alpha1 "github.com/operator-framework/api/pkg/operators/v1alpha1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
)

const (
	catalogSourceName = "singleton-operator-catalog"
	subscriptionName  = "singleton-operator"
	// appNamespace holds the workload the operator guards through the upgrade.
	appNamespace = "olm-app"
	appName      = "db"
	crdName      = "statefulsingletons.apps.statefulsingleton.com"
	// webhookCertSecret is where OLM keeps the webhook's serving certificate and its CA (key
	// olmCAKey): <deployment>-service-cert.
	webhookCertSecret = operatorDeployment + "-service-cert"
	olmCAKey          = "olmCAKey"
	// guardConfiguration is the webhook configuration the operator keeps for the pods a
	// StatefulSingleton selects (internal/controller/webhookguard).
	guardConfiguration = "singleton-operator-guard"
)

// The steps depend on each other: install, use, upgrade, use again, uninstall.
var _ = Describe("The operator installed by OLM from the catalog", Ordered, func() {
	var firstPod corev1.Pod

	BeforeAll(func(ctx SpecContext) {
		newNamespace(ctx, operatorNamespace)
		newNamespace(ctx, appNamespace)
		Expect(k8s.Create(ctx, &operatorsv1alpha1.CatalogSource{
			ObjectMeta: metav1.ObjectMeta{Namespace: catalogNamespace, Name: catalogSourceName},
			Spec: operatorsv1alpha1.CatalogSourceSpec{
				SourceType:  operatorsv1alpha1.SourceTypeGrpc,
				Address:     catalogAddress,
				DisplayName: "singleton-operator releases",
				Publisher:   "singleton-operator",
			},
		})).To(Succeed())
		// No target namespaces: AllNamespaces, the only install mode the CSV supports.
		Expect(k8s.Create(ctx, &operatorsv1.OperatorGroup{
			ObjectMeta: metav1.ObjectMeta{Namespace: operatorNamespace, Name: "singleton-operator"},
		})).To(Succeed())
	})

	It("reaches the catalog served by opm", func(ctx SpecContext) {
		Eventually(func(g Gomega) {
			cs := &operatorsv1alpha1.CatalogSource{}
			g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: catalogNamespace, Name: catalogSourceName}, cs)).To(Succeed())
			g.Expect(cs.Status.GRPCConnectionState).NotTo(BeNil())
			g.Expect(cs.Status.GRPCConnectionState.LastObservedState).To(Equal("READY"))
		}).WithContext(ctx).Should(Succeed())
	})

	It("installs the previous release once its InstallPlan is approved", func(ctx SpecContext) {
		Expect(k8s.Create(ctx, &operatorsv1alpha1.Subscription{
			ObjectMeta: metav1.ObjectMeta{Namespace: operatorNamespace, Name: subscriptionName},
			Spec: &operatorsv1alpha1.SubscriptionSpec{
				CatalogSource:          catalogSourceName,
				CatalogSourceNamespace: catalogNamespace,
				Package:                packageName,
				// A new release enters candidate-v0 first (catalog/template.yaml), so that is
				// where the upgrade to bundle/ is offered.
				Channel:             upgradeChannel,
				InstallPlanApproval: operatorsv1alpha1.ApprovalManual,
				StartingCSV:         previousCSV,
			},
		})).To(Succeed())

		approveInstallPlanFor(ctx, previousCSV)
		waitForCSVSucceeded(ctx, previousCSV)
		waitForOperatorPod(ctx, previousImage)
	})

	It("prepares, holds and releases a pod, with the webhook certificate OLM made", func(ctx SpecContext) {
		By("finding the webhook configuration OLM wrote from the CSV, trusting the CA of OLM's certificate")
		waitForOLMCertificate(ctx, previousCSV)

		By("running a one-replica Deployment under a StatefulSingleton in a restricted namespace")
		Expect(k8s.Create(ctx, &singletonv1.StatefulSingleton{
			ObjectMeta: metav1.ObjectMeta{Namespace: appNamespace, Name: appName},
			Spec: singletonv1.StatefulSingletonSpec{
				Selector: metav1.LabelSelector{MatchLabels: map[string]string{"app": appName}},
			},
		})).To(Succeed())
		// Until the guard configuration holds the StatefulSingleton's entry, the webhook fails
		// open (failurePolicy Ignore): a pod admitted before it answers would run unguarded. Wait
		// until it prepares a pod, as a user would check after an install.
		Eventually(dryRunPrepared).WithContext(ctx).Should(BeTrue(), "the webhook prepares a pod the StatefulSingleton selects")
		Expect(k8s.Create(ctx, appDeployment())).To(Succeed())

		firstPod = waitForOnlyPodReady(ctx, "")
		Expect(firstPod.Spec.ReadinessGates).To(ContainElement(HaveField("ConditionType", corev1.PodConditionType(singletonv1.ReadinessGate))))
		Expect(firstPod.Labels).To(HaveKeyWithValue(singletonv1.LabelManaged, "true"))
		Expect(firstPod.Annotations).To(HaveKeyWithValue(singletonv1.AnnotationRelease, string(firstPod.UID)))
		Expect(firstPod.Spec.InitContainers).NotTo(BeEmpty())
		Expect(firstPod.Spec.InitContainers[0].Image).To(Equal(previousImage), "the gate comes from the release's own image")
		waitForActivePod(ctx, firstPod.Name)
	})

	It("upgrades through channel candidate-v0 to the current bundle once its InstallPlan is approved", func(ctx SpecContext) {
		approveInstallPlanFor(ctx, currentCSV)
		waitForCSVSucceeded(ctx, currentCSV)
		succeeded := time.Now()

		By("replacing the previous release's CSV, and recording the new one in the Subscription")
		Eventually(func() error {
			return k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: previousCSV}, &operatorsv1alpha1.ClusterServiceVersion{})
		}).WithContext(ctx).Should(Satisfy(apierrors.IsNotFound))
		sub := &operatorsv1alpha1.Subscription{}
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: subscriptionName}, sub)).To(Succeed())
		Expect(sub.Status.InstalledCSV).To(Equal(currentCSV))

		// OLM v0.42.0 reuses the previous CSV's webhook certificate without adopting its Secret:
		// the garbage collector deletes it with the previous CSV, OLM issues a new CA and
		// restarts the operator once more. Until the new pods serve what the webhook
		// configuration trusts, the pods a StatefulSingleton selects are refused by the guard
		// configuration, others admitted unprepared (docs/install.md). Wait for that, and say
		// how long it took.
		By("waiting for the upgraded CSV's own certificate, and its pod serving it")
		waitForOLMCertificate(ctx, currentCSV)
		waitForCSVSucceeded(ctx, currentCSV)
		waitForOperatorPod(ctx, currentImage)
		Eventually(dryRunPrepared).WithContext(ctx).Should(BeTrue(), "the upgraded webhook prepares a pod")

		By("creating the bundle's console YAML samples and quick starts (their CRDs installed as on OpenShift)")
		for _, kind := range consoleKinds {
			Expect(consoleObjects(ctx, kind)).To(ContainElement(HavePrefix("singleton-operator-")), kind)
		}
		AddReportEntry("webhook settled after the upgrade's CSV first succeeded", time.Since(succeeded).Round(100*time.Millisecond).String())
	})

	It("keeps the existing StatefulSingleton working: a rollout hands over to the new pod", func(ctx SpecContext) {
		waitForActivePod(ctx, firstPod.Name)
		d := &appsv1.Deployment{}
		Expect(k8s.Get(ctx, client.ObjectKey{Namespace: appNamespace, Name: appName}, d)).To(Succeed())
		patch := client.MergeFrom(d.DeepCopy())
		d.Spec.Template.Annotations = map[string]string{"kubectl.kubernetes.io/restartedAt": time.Now().Format(time.RFC3339)}
		Expect(k8s.Patch(ctx, d, patch)).To(Succeed())

		second := waitForOnlyPodReady(ctx, firstPod.UID)
		Expect(second.Spec.ReadinessGates).To(ContainElement(HaveField("ConditionType", corev1.PodConditionType(singletonv1.ReadinessGate))))
		Expect(second.Spec.InitContainers[0].Image).To(Equal(currentImage), "the upgraded operator injects its own gate")
		Expect(second.Annotations).To(HaveKeyWithValue(singletonv1.AnnotationRelease, string(second.UID)))
		waitForActivePod(ctx, second.Name)
		Eventually(func() error {
			return k8s.Get(ctx, client.ObjectKeyFromObject(&firstPod), &corev1.Pod{})
		}).WithContext(ctx).Should(Satisfy(apierrors.IsNotFound), "the old pod is gone")
	})

	It("serves metrics over verified HTTPS to a token allowed to read them", func(ctx SpecContext) {
		scrapeMetrics(ctx)
	})

	It("passes the custom scorecard tests, run as pods as scorecard runs them", func(ctx SpecContext) {
		runScorecardTests(ctx)
	})

	It("uninstalls as docs/install.md says, leaving the application running", func(ctx SpecContext) {
		// A second workload whose StatefulSingleton is left in place, mid-transition, as if the
		// operator went first: checked and recovered below, once the operator is gone.
		By("leaving a second StatefulSingleton mid-transition")
		orphanOld := startOrphanTransition(ctx)

		By("deleting the StatefulSingleton: the operator hands its pod back, which keeps running")
		ss := &singletonv1.StatefulSingleton{ObjectMeta: metav1.ObjectMeta{Namespace: appNamespace, Name: appName}}
		Expect(k8s.Delete(ctx, ss)).To(Succeed())
		Eventually(func() error {
			return k8s.Get(ctx, client.ObjectKeyFromObject(ss), ss)
		}).WithContext(ctx).Should(Satisfy(apierrors.IsNotFound), "the StatefulSingleton is handed back and gone")
		Eventually(func(g Gomega) {
			pod := waitForOnlyPodReady(ctx, "")
			g.Expect(pod.Finalizers).NotTo(ContainElement(singletonv1.FinalizerRelease))
		}).WithContext(ctx).Should(Succeed())

		By("deleting the Subscription and the CSV: OLM removes the Deployment and the webhook")
		Expect(k8s.Delete(ctx, &operatorsv1alpha1.Subscription{
			ObjectMeta: metav1.ObjectMeta{Namespace: operatorNamespace, Name: subscriptionName},
		})).To(Succeed())
		Expect(k8s.Delete(ctx, &operatorsv1alpha1.ClusterServiceVersion{
			ObjectMeta: metav1.ObjectMeta{Namespace: operatorNamespace, Name: currentCSV},
		})).To(Succeed())
		Eventually(func() error {
			return k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: operatorDeployment}, &appsv1.Deployment{})
		}).WithContext(ctx).Should(Satisfy(apierrors.IsNotFound))
		Eventually(func(g Gomega) {
			list := &admissionregistrationv1.MutatingWebhookConfigurationList{}
			g.Expect(k8s.List(ctx, list, client.MatchingLabels{"olm.owner": currentCSV})).To(Succeed())
			g.Expect(list.Items).To(BeEmpty())
		}).WithContext(ctx).Should(Succeed())
		Eventually(func() error {
			return k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: metricsService}, &corev1.Service{})
		}).WithContext(ctx).Should(Satisfy(apierrors.IsNotFound), "the metrics Service goes with the CSV")
		Eventually(func() error {
			return k8s.Get(ctx, client.ObjectKey{Name: guardConfiguration}, &admissionregistrationv1.MutatingWebhookConfiguration{})
		}).WithContext(ctx).Should(Satisfy(apierrors.IsNotFound),
			"the guard configuration goes with the webhook configuration OLM made, which owns it")

		// OLM v0.42.0 leaves the ClusterRoles the bundle ships (metrics reader; admin, editor and
		// viewer of each API): those of the first install carry olm.owner only, not the owner's
		// kind and namespace its clean-up selects on, and those an upgrade added carry
		// olm.managed only. docs/install.md says how to delete them.
		By("deleting the bundle's ClusterRoles that OLM leaves, by the labels docs/install.md names")
		Expect(k8s.Get(ctx, client.ObjectKey{Name: metricsReaderRole}, &rbacv1.ClusterRole{})).To(Succeed())
		Expect(k8s.DeleteAllOf(ctx, &rbacv1.ClusterRole{},
			client.MatchingLabels{"app.kubernetes.io/name": packageName, "olm.managed": "true"})).To(Succeed())
		Eventually(func(g Gomega) {
			list := &rbacv1.ClusterRoleList{}
			g.Expect(k8s.List(ctx, list, client.MatchingLabels{"app.kubernetes.io/name": packageName})).To(Succeed())
			g.Expect(list.Items).To(BeEmpty())
		}).WithContext(ctx).Should(Succeed())

		// Nor does OLM v0.42.0's clean-up delete the console objects (it deletes only the RBAC
		// and webhook configurations labeled with the CSV); docs/install.md names their labels.
		By("deleting the console YAML samples and quick starts by the labels docs/install.md names")
		for _, kind := range consoleKinds {
			list := &unstructured.UnstructuredList{}
			list.SetGroupVersionKind(consoleGV.WithKind(kind + "List"))
			Expect(k8s.List(ctx, list, client.MatchingLabels{"app.kubernetes.io/name": packageName, "olm.managed": "true"})).To(Succeed())
			for i := range list.Items {
				Expect(client.IgnoreNotFound(k8s.Delete(ctx, &list.Items[i]))).To(Succeed())
			}
			Eventually(func() []string { return consoleObjects(ctx, kind) }).WithContext(ctx).Should(BeEmpty(), kind)
		}

		By("finding what the operator left of the second StatefulSingleton, and recovering as docs/install.md says")
		checkOrphanAndRecover(ctx, orphanOld)

		By("keeping the CRD until it is deleted too")
		crd := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: crdName}}
		Expect(k8s.Get(ctx, client.ObjectKeyFromObject(crd), crd)).To(Succeed())
		Expect(k8s.Delete(ctx, crd)).To(Succeed())
		Eventually(func() error {
			return k8s.Get(ctx, client.ObjectKeyFromObject(crd), crd)
		}).WithContext(ctx).Should(Satisfy(apierrors.IsNotFound))
		waitForOnlyPodReady(ctx, "")
	})
})

// approveInstallPlanFor approves the InstallPlan that the Subscription names, once it installs
// csv and waits for approval. Only that one: approving an earlier plan races the catalog
// operator, which may replace it.
func approveInstallPlanFor(ctx context.Context, csv string) {
	GinkgoHelper()
	By("approving the InstallPlan of " + csv)
	var plan *operatorsv1alpha1.InstallPlan
	Eventually(func(g Gomega) {
		sub := &operatorsv1alpha1.Subscription{}
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: subscriptionName}, sub)).To(Succeed())
		g.Expect(sub.Status.InstallPlanRef).NotTo(BeNil())
		plan = &operatorsv1alpha1.InstallPlan{}
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: sub.Status.InstallPlanRef.Name}, plan)).To(Succeed())
		g.Expect(plan.Spec.ClusterServiceVersionNames).To(ContainElement(csv))
		g.Expect(plan.Status.Phase).To(Equal(operatorsv1alpha1.InstallPlanPhaseRequiresApproval))
	}).WithContext(ctx).Should(Succeed())
	Expect(plan.Spec.Approved).To(BeFalse(), "nothing is installed before it is approved")
	patch := client.MergeFrom(plan.DeepCopy())
	plan.Spec.Approved = true
	Expect(k8s.Patch(ctx, plan, patch)).To(Succeed())
}

// waitForCSVSucceeded waits for OLM to report the CSV installed and its Deployment healthy.
func waitForCSVSucceeded(ctx context.Context, name string) {
	GinkgoHelper()
	By("waiting for " + name + " to succeed")
	Eventually(func(g Gomega) {
		csv := &operatorsv1alpha1.ClusterServiceVersion{}
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: name}, csv)).To(Succeed())
		g.Expect(csv.Status.Phase).To(Equal(operatorsv1alpha1.CSVPhaseSucceeded), "%s: %s", csv.Status.Reason, csv.Status.Message)
	}).WithContext(ctx).Should(Succeed())
}

// waitForOperatorPod waits for the operator's Deployment to run one Ready pod of image, and no
// other pod.
func waitForOperatorPod(ctx context.Context, image string) {
	GinkgoHelper()
	By("waiting for the operator to run as a pod of " + image)
	Eventually(func(g Gomega) {
		d := &appsv1.Deployment{}
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: operatorDeployment}, d)).To(Succeed())
		pods := &corev1.PodList{}
		g.Expect(k8s.List(ctx, pods, client.InNamespace(operatorNamespace),
			client.MatchingLabels(d.Spec.Selector.MatchLabels))).To(Succeed())
		// As many pods as the release's Deployment asks for (one before 0.2.0, two since), each
		// of the release's image and Ready: no pod of the release before is left.
		g.Expect(pods.Items).To(HaveLen(int(ptr.Deref(d.Spec.Replicas, 1))))
		g.Expect(pods.Items).To(HaveEach(And(
			HaveField("Spec.Containers", ContainElement(HaveField("Image", image))),
			HaveField("Status.Conditions", ContainElement(And(
				HaveField("Type", corev1.PodReady), HaveField("Status", corev1.ConditionTrue)))),
		)))
	}).WithContext(ctx).Should(Succeed())
}

// waitForOLMCertificate waits until the webhook's serving certificate is one OLM made for csv (a
// Secret owned by it) and the webhook configuration OLM wrote for csv trusts its CA.
func waitForOLMCertificate(ctx context.Context, csvName string) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		csv := &operatorsv1alpha1.ClusterServiceVersion{}
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: csvName}, csv)).To(Succeed())
		secret := &corev1.Secret{}
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: webhookCertSecret}, secret)).To(Succeed())
		g.Expect(secret.OwnerReferences).To(ContainElement(HaveField("UID", csv.UID)), "the certificate is %s's", csvName)
		g.Expect(secret.Data).To(HaveKey(olmCAKey))

		list := &admissionregistrationv1.MutatingWebhookConfigurationList{}
		g.Expect(k8s.List(ctx, list, client.MatchingLabels{"olm.owner": csvName})).To(Succeed())
		g.Expect(list.Items).To(HaveLen(1))
		g.Expect(list.Items[0].Webhooks).To(HaveLen(1))
		g.Expect(list.Items[0].Webhooks[0].ClientConfig.CABundle).To(Equal(secret.Data[olmCAKey]))
	}).WithContext(ctx).Should(Succeed())
}

// appDeployment is a one-replica busybox Deployment that the restricted standard admits.
func appDeployment() *appsv1.Deployment {
	labels := map[string]string{"app": appName}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: appNamespace, Name: appName},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: ptr.To[int64](5),
					Containers: []corev1.Container{{
						Name: "app",
						// Imported into the local cluster by hack/cluster.sh up.
						Image:           "localhost/busybox:1.35",
						ImagePullPolicy: corev1.PullIfNotPresent,
						Command:         []string{"sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"},
						SecurityContext: &corev1.SecurityContext{
							RunAsNonRoot:             ptr.To(true),
							RunAsUser:                ptr.To[int64](1000),
							AllowPrivilegeEscalation: ptr.To(false),
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
							SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
						},
					}},
				},
			},
		},
	}
}

// dryRunPrepared creates the application's pod with dryRun and reports whether the webhook
// prepared it.
func dryRunPrepared(ctx context.Context) (bool, error) {
	tmpl := appDeployment().Spec.Template
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: appNamespace, GenerateName: appName + "-probe-", Labels: tmpl.Labels},
		Spec:       tmpl.Spec,
	}
	if err := k8s.Create(ctx, pod, client.DryRunAll); err != nil {
		return false, err
	}
	return pod.Labels[singletonv1.LabelManaged] == "true", nil
}

// waitForOnlyPodReady waits until the application's only running pod, other than notUID, is
// Ready, and returns it.
func waitForOnlyPodReady(ctx context.Context, notUID types.UID) corev1.Pod {
	GinkgoHelper()
	var pod corev1.Pod
	Eventually(func(g Gomega) {
		pods := &corev1.PodList{}
		g.Expect(k8s.List(ctx, pods, client.InNamespace(appNamespace), client.MatchingLabels{"app": appName})).To(Succeed())
		var live []corev1.Pod
		for i := range pods.Items {
			if p := &pods.Items[i]; p.DeletionTimestamp == nil && p.UID != notUID {
				live = append(live, *p)
			}
		}
		g.Expect(live).To(HaveLen(1))
		pod = live[0]
		g.Expect(pod.Status.Conditions).To(ContainElement(And(
			HaveField("Type", corev1.PodReady), HaveField("Status", corev1.ConditionTrue))))
	}).WithContext(ctx).Should(Succeed())
	return pod
}

// waitForActivePod waits until the StatefulSingleton reports pod as the active one.
func waitForActivePod(ctx context.Context, pod string) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		ss := &singletonv1.StatefulSingleton{}
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: appNamespace, Name: appName}, ss)).To(Succeed())
		g.Expect(ss.Status.ActivePod).To(Equal(pod))
		g.Expect(ss.Status.Phase).To(Equal(singletonv1.PhaseRunning))
	}).WithContext(ctx).Should(Succeed())
}

// The OpenShift console kinds the bundle ships (config/manifests/console).
var (
	consoleGV    = schema.GroupVersion{Group: "console.openshift.io", Version: "v1"}
	consoleKinds = []string{"ConsoleYAMLSample", "ConsoleQuickStart"}
)

// consoleObjects lists the names of the console objects of one kind labeled as the bundle's.
func consoleObjects(ctx context.Context, kind string) []string {
	GinkgoHelper()
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(consoleGV.WithKind(kind + "List"))
	Expect(k8s.List(ctx, list, client.MatchingLabels{"app.kubernetes.io/name": packageName})).To(Succeed())
	names := make([]string, 0, len(list.Items))
	for _, o := range list.Items {
		names = append(names, o.GetName())
	}
	return names
}
