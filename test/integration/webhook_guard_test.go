package integration

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/yaml"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/controller/webhookguard"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
	"github.com/singleton-operator/singleton-operator/test/framework"
)

// mainConfiguration is the name envtest installs config/webhook's configuration under (no
// kustomize namePrefix); its webhook calls the local webhook server by URL.
const mainConfiguration = "mutating-webhook-configuration"

// The guard configuration runs on an API server of its own, whose main webhook configuration
// is config/webhook's; the manager runs as a user bound to config/rbac/role.yaml only, so the
// RBAC that `make manifests` generates is what these specs exercise.
var _ = Describe("The guard configuration", Ordered, func() {
	var (
		api      *framework.APIServer
		operator *rest.Config
		// stopOperator stops the running manager; nil while none runs.
		stopOperator func()
		// ns and other are namespaces with a StatefulSingleton each; elsewhere has none.
		ns, other, elsewhere string
		db, queue            *singletonv1.StatefulSingleton
	)

	start := func(ctx context.Context) {
		stopOperator = startGuardedOperator(ctx, api, operator)
	}
	stop := func(ctx context.Context) {
		stopOperator()
		stopOperator = nil
		Eventually(webhookServes).WithContext(ctx).WithArguments(api).ShouldNot(Succeed(), "the webhook server is down")
	}

	BeforeAll(func(ctx SpecContext) {
		var err error
		api, err = framework.StartAPIServerWithWebhooks("guard", []string{"config/webhook"}, "config/crd/bases")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(api.Stop)
		operator = operatorUser(ctx, api)
		start(ctx)
		DeferCleanup(func() {
			if stopOperator != nil {
				stopOperator()
			}
		})
		ns, other, elsewhere = newNamespaceIn(ctx, api), newNamespaceIn(ctx, api), newNamespaceIn(ctx, api)
	}, NodeTimeout(2*time.Minute))

	It("holds one entry per StatefulSingleton, scoped to its namespace and selector, calling the guard path", func(ctx SpecContext) {
		db = newSingletonIn(ctx, api, ns, "db", metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}})
		queue = newSingletonIn(ctx, api, other, "queue", metav1.LabelSelector{
			MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{"queue", "broker"}},
			},
		})
		main := readConfiguration(ctx, api, mainConfiguration)
		mainURL := *main.Webhooks[0].ClientConfig.URL

		Eventually(guardEntries).WithContext(ctx).WithArguments(api).Should(SatisfyAll(
			HaveLen(2),
			HaveKeyWithValue(webhookguard.EntryName(db.UID), SatisfyAll(
				HaveField("FailurePolicy", HaveValue(Equal(admissionregistrationv1.Fail))),
				HaveField("NamespaceSelector.MatchLabels", Equal(map[string]string{corev1.LabelMetadataName: ns})),
				HaveField("ObjectSelector", Equal(&metav1.LabelSelector{
					MatchLabels:      map[string]string{"app": "db"},
					MatchExpressions: []metav1.LabelSelectorRequirement{podwebhook.OperatorPodsExclusion()},
				})),
				HaveField("ClientConfig.URL", HaveValue(Equal(strings.Replace(mainURL, "//mutate--v1-pod", "/mutate--v1-pod-guard", 1)))),
				HaveField("ClientConfig.CABundle", Equal(main.Webhooks[0].ClientConfig.CABundle)),
				HaveField("SideEffects", HaveValue(Equal(admissionregistrationv1.SideEffectClassNone))),
				HaveField("ReinvocationPolicy", HaveValue(Equal(admissionregistrationv1.IfNeededReinvocationPolicy))),
				HaveField("TimeoutSeconds", HaveValue(BeEquivalentTo(webhookguard.TimeoutSeconds))),
			)),
			HaveKeyWithValue(webhookguard.EntryName(queue.UID), SatisfyAll(
				HaveField("NamespaceSelector.MatchLabels", Equal(map[string]string{corev1.LabelMetadataName: other})),
				HaveField("ObjectSelector.MatchExpressions", HaveExactElements(
					HaveField("Values", Equal([]string{"queue", "broker"})),
					Equal(podwebhook.OperatorPodsExclusion()),
				)),
			)),
		))

		By("being owned by the main configuration, so that the garbage collector removes it with it")
		guard := readConfiguration(ctx, api, webhookguard.DefaultName)
		Expect(guard.OwnerReferences).To(ConsistOf(SatisfyAll(
			HaveField("Kind", "MutatingWebhookConfiguration"), HaveField("Name", mainConfiguration), HaveField("UID", main.UID))))

		By("comparing equal, as the API server holds it, to what Build makes: the reconciler does not write it again")
		Expect(webhookguard.UpToDate(guard, webhookguard.Build(webhookguard.Input{
			Name:       webhookguard.DefaultName,
			Main:       []admissionregistrationv1.MutatingWebhookConfiguration{*main},
			Singletons: []singletonv1.StatefulSingleton{*readSingleton(ctx, api, db), *readSingleton(ctx, api, queue)},
		}).Config)).To(BeTrue())
	})

	It("follows a selector edit", func(ctx SpecContext) {
		edited := readSingleton(ctx, api, db)
		edited.Spec.Selector.MatchLabels = map[string]string{"app": "db", "tier": "data"}
		Expect(api.Client.Update(ctx, edited)).To(Succeed())
		Eventually(guardEntries).WithContext(ctx).WithArguments(api).Should(HaveKeyWithValue(
			webhookguard.EntryName(db.UID), HaveField("ObjectSelector.MatchLabels", Equal(map[string]string{"app": "db", "tier": "data"}))))

		edited = readSingleton(ctx, api, db)
		edited.Spec.Selector.MatchLabels = map[string]string{"app": "db"}
		Expect(api.Client.Update(ctx, edited)).To(Succeed())
		Eventually(guardEntries).WithContext(ctx).WithArguments(api).Should(HaveKeyWithValue(
			webhookguard.EntryName(db.UID), HaveField("ObjectSelector.MatchLabels", Equal(map[string]string{"app": "db"}))))
	})

	It("follows the caBundle of the main configuration", func(ctx SpecContext) {
		original := readConfiguration(ctx, api, mainConfiguration).Webhooks[0].ClientConfig.CABundle
		// The served certificate's CA stays in the bundle, so that the webhook keeps working.
		rotated := append(slices.Clone(original), bundleIssuedAt(time.Now(), []string{"other"}).CA.CertPEM...)
		setMainCABundle(ctx, api, rotated)
		DeferCleanup(setMainCABundle, api, original)

		Eventually(guardEntries).WithContext(ctx).WithArguments(api).Should(SatisfyAll(
			HaveKeyWithValue(webhookguard.EntryName(db.UID), HaveField("ClientConfig.CABundle", Equal(rotated))),
			HaveKeyWithValue(webhookguard.EntryName(queue.UID), HaveField("ClientConfig.CABundle", Equal(rotated))),
		))
	})

	It("keeps the entry of a StatefulSingleton being deleted until it is gone", func(ctx SpecContext) {
		old := newSingletonIn(ctx, api, ns, "old", metav1.LabelSelector{MatchLabels: map[string]string{"app": "old"}})
		Eventually(guardEntries).WithContext(ctx).WithArguments(api).Should(HaveKey(webhookguard.EntryName(old.UID)))
		// The hand-back finalizer, as the controller would hold it.
		old.Finalizers = []string{singletonv1.FinalizerHandBack}
		Expect(api.Client.Update(ctx, old)).To(Succeed())
		Expect(api.Client.Delete(ctx, old)).To(Succeed())

		By("adding another StatefulSingleton: the configuration written for it still holds the one being deleted")
		later := newSingletonIn(ctx, api, ns, "later", metav1.LabelSelector{MatchLabels: map[string]string{"app": "later"}})
		Eventually(guardEntries).WithContext(ctx).WithArguments(api).Should(HaveKey(webhookguard.EntryName(later.UID)))
		Expect(readSingleton(ctx, api, old).DeletionTimestamp).NotTo(BeNil())
		Expect(guardEntries(ctx, api)).To(HaveKey(webhookguard.EntryName(old.UID)))

		By("letting it go: its entry goes")
		gone := readSingleton(ctx, api, old)
		gone.Finalizers = nil
		Expect(api.Client.Update(ctx, gone)).To(Succeed())
		Eventually(guardEntries).WithContext(ctx).WithArguments(api).ShouldNot(HaveKey(webhookguard.EntryName(old.UID)))

		Expect(api.Client.Delete(ctx, later)).To(Succeed())
		Eventually(guardEntries).WithContext(ctx).WithArguments(api).ShouldNot(HaveKey(webhookguard.EntryName(later.UID)))
		Expect(guardEntries(ctx, api)).To(HaveLen(2), "db and queue keep theirs")
	})

	It("leaves out a selector that is no objectSelector, with a Warning event saying why", func(ctx SpecContext) {
		// The schema checks the operators; a label key's syntax only the selector's parser does.
		bad := newSingletonIn(ctx, api, ns, "bad", metav1.LabelSelector{
			MatchLabels: map[string]string{"not a key!": "db"},
		})
		Eventually(func(g Gomega) {
			list := &eventsv1.EventList{}
			g.Expect(api.Client.List(ctx, list, client.InNamespace(ns))).To(Succeed())
			g.Expect(list.Items).To(ContainElement(SatisfyAll(
				HaveField("Regarding.UID", bad.UID),
				HaveField("Type", corev1.EventTypeWarning),
				HaveField("Reason", webhookguard.ReasonSelectorNotGuarded),
				HaveField("Note", ContainSubstring(`not a key!`)),
			)))
		}).WithContext(ctx).Should(Succeed())
		Expect(guardEntries(ctx, api)).NotTo(HaveKey(webhookguard.EntryName(bad.UID)))
		Expect(api.Client.Delete(ctx, bad)).To(Succeed())
	})

	It("refuses a selected pod while the webhook is down, admits every other pod, and prepares it once it is back", func(ctx SpecContext) {
		Eventually(guardEntries).WithContext(ctx).WithArguments(api).Should(HaveKey(webhookguard.EntryName(db.UID)))
		stop(ctx)

		By("refusing the pod that a StatefulSingleton selects")
		err := api.Client.Create(ctx, guardPod(ns, "db-0", map[string]string{"app": "db"}))
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring(webhookguard.EntryName(db.UID)), "the guard entry refused it")
		Expect(apierrors.IsNotFound(api.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "db-0"}, &corev1.Pod{}))).
			To(BeTrue(), "no pod was created")

		By("admitting, unprepared, a pod nobody selects in the same namespace, the same labels in another one, " +
			"and the operator's own pod")
		for _, pod := range []*corev1.Pod{
			guardPod(ns, "web-0", map[string]string{"app": "web"}),
			guardPod(elsewhere, "db-0", map[string]string{"app": "db"}),
			guardPod(ns, "operator", map[string]string{"app": "db", "app.kubernetes.io/name": "singleton-operator"}),
		} {
			Expect(api.Client.Create(ctx, pod)).To(Succeed(), "pod %s/%s", pod.Namespace, pod.Name)
			Expect(pod.Labels).NotTo(HaveKey(singletonv1.LabelManaged))
		}

		By("preparing the selected pod once the webhook serves again")
		start(ctx)
		pod := guardPod(ns, "db-0", map[string]string{"app": "db"})
		Eventually(func() error { return api.Client.Create(ctx, pod) }).WithContext(ctx).Should(Succeed())
		Expect(pod.Labels).To(HaveKeyWithValue(singletonv1.LabelManaged, "true"))
		Expect(pod.Labels).To(HaveKeyWithValue(singletonv1.LabelInstance, "db"))
	})

	It("is deleted when there is no main configuration to copy the webhook's address from", func(ctx SpecContext) {
		Expect(api.Client.Delete(ctx, readConfiguration(ctx, api, mainConfiguration))).To(Succeed())
		Eventually(func() bool {
			err := api.Client.Get(ctx, client.ObjectKey{Name: webhookguard.DefaultName},
				&admissionregistrationv1.MutatingWebhookConfiguration{})
			return apierrors.IsNotFound(err)
		}).WithContext(ctx).Should(BeTrue())
	})
})

// operatorUser binds the ClusterRole of config/rbac/role.yaml (what `make manifests`
// generates from the markers) to a user of its own, and returns that user's configuration.
func operatorUser(ctx context.Context, api *framework.APIServer) *rest.Config {
	GinkgoHelper()
	raw, err := os.ReadFile(filepath.Join(framework.RepoRoot(), "config", "rbac", "role.yaml"))
	Expect(err).NotTo(HaveOccurred())
	role := &rbacv1.ClusterRole{}
	Expect(yaml.Unmarshal([]byte(strings.TrimPrefix(string(raw), "---\n")), role)).To(Succeed())
	Expect(api.Client.Create(ctx, role)).To(Succeed())
	const name = "singleton-operator"
	Expect(api.Client.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: name}},
	})).To(Succeed())
	user, err := api.Env.AddUser(envtest.User{Name: name}, &rest.Config{})
	Expect(err).NotTo(HaveOccurred())
	return user.Config()
}

// startGuardedOperator runs, as cmd/main.go sets them up, the pod webhook and the guard
// reconciler in a manager of their own, with the given credentials, waits until the webhook
// serves, and returns what stops the manager.
func startGuardedOperator(ctx context.Context, api *framework.APIServer, cfg *rest.Config) (stop func()) {
	GinkgoHelper()
	wio := &api.Env.WebhookInstallOptions
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 api.Env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
		WebhookServer: webhook.NewServer(webhook.Options{
			Host: wio.LocalServingHost, Port: wio.LocalServingPort, CertDir: wio.LocalServingCertDir,
		}),
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(podwebhook.SetupPodWebhookWithManager(ctx, mgr, itGateImage, nil, nil)).To(Succeed())
	Expect((&webhookguard.Reconciler{
		Client:   mgr.GetClient(),
		Recorder: mgr.GetEventRecorder("webhookguard-controller"),
		Name:     webhookguard.DefaultName,
		MainName: mainConfiguration,
	}).SetupWithManager(mgr)).To(Succeed())

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() {
		defer GinkgoRecover()
		done <- mgr.Start(runCtx)
	}()
	Eventually(webhookServes).WithContext(ctx).WithArguments(api).Should(Succeed())
	return func() {
		cancel()
		Eventually(done).Should(Receive(Not(HaveOccurred())), "the manager stops without error")
	}
}

// newNamespaceIn creates a namespace of its own in api.
func newNamespaceIn(ctx context.Context, api *framework.APIServer) string {
	GinkgoHelper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "it-guard-"}}
	Expect(api.Client.Create(ctx, ns)).To(Succeed())
	return ns.Name
}

// newSingletonIn creates a StatefulSingleton in api.
func newSingletonIn(ctx context.Context, api *framework.APIServer, ns, name string, selector metav1.LabelSelector,
) *singletonv1.StatefulSingleton {
	GinkgoHelper()
	ss := &singletonv1.StatefulSingleton{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       singletonv1.StatefulSingletonSpec{Selector: selector},
	}
	Expect(api.Client.Create(ctx, ss)).To(Succeed())
	return ss
}

// readSingleton reads a StatefulSingleton that must exist.
func readSingleton(ctx context.Context, api *framework.APIServer, ss *singletonv1.StatefulSingleton,
) *singletonv1.StatefulSingleton {
	GinkgoHelper()
	got := &singletonv1.StatefulSingleton{}
	Expect(api.Client.Get(ctx, client.ObjectKeyFromObject(ss), got)).To(Succeed())
	return got
}

// readConfiguration reads a MutatingWebhookConfiguration that must exist.
func readConfiguration(ctx context.Context, api *framework.APIServer, name string,
) *admissionregistrationv1.MutatingWebhookConfiguration {
	GinkgoHelper()
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
	Expect(api.Client.Get(ctx, client.ObjectKey{Name: name}, cfg)).To(Succeed())
	return cfg
}

// guardEntries are the entries of the guard configuration, by name.
func guardEntries(ctx context.Context, api *framework.APIServer) (map[string]admissionregistrationv1.MutatingWebhook, error) {
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := api.Client.Get(ctx, client.ObjectKey{Name: webhookguard.DefaultName}, cfg); err != nil {
		return nil, err
	}
	entries := make(map[string]admissionregistrationv1.MutatingWebhook, len(cfg.Webhooks))
	for i := range cfg.Webhooks {
		entries[cfg.Webhooks[i].Name] = cfg.Webhooks[i]
	}
	return entries, nil
}

// setMainCABundle sets the caBundle of the main configuration's webhook, as OLM or
// internal/servingcert do when they rotate the CA.
func setMainCABundle(ctx context.Context, api *framework.APIServer, ca []byte) {
	GinkgoHelper()
	cfg := readConfiguration(ctx, api, mainConfiguration)
	before := cfg.DeepCopy()
	cfg.Webhooks[0].ClientConfig.CABundle = ca
	Expect(api.Client.Patch(ctx, cfg, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))).To(Succeed())
}

// guardPod is a pod with these labels and one container with a command.
func guardPod(ns, name string, podLabels map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: podLabels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "localhost/busybox:1.35", Command: []string{"sleep", "3600"},
		}}},
	}
}
