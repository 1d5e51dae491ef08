package integration

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/imageconfig"
	"github.com/singleton-operator/singleton-operator/internal/imageconfig/registrytest"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
	"github.com/singleton-operator/singleton-operator/test/framework"
)

const itGateImage = "localhost/singleton-operator:it"

// The pod webhook runs on an API server of its own, so that the controller tests' pods,
// prepared or not by hand, are not touched by it.
var _ = Describe("The pod webhook", Ordered, func() {
	var (
		api    *framework.APIServer
		cached client.Reader
		// reg is a registry on loopback, which the webhook, in this process, reads images from.
		reg *registrytest.Registry
	)

	BeforeAll(func(ctx SpecContext) {
		var err error
		api, err = framework.StartAPIServerWithWebhooks("webhook", []string{"config/webhook"}, "config/crd/bases")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(api.Stop)
		reg = registrytest.Start(GinkgoT(), "puller", "s3cret")
		cached = startWebhookManager(ctx, api, &podwebhook.ImageResolution{
			Resolver: imageconfig.NewResolver(imageconfig.Options{}), Budget: 2 * time.Second,
		})
	}, NodeTimeout(2*time.Minute))

	// newSelectedNamespace creates a namespace with a StatefulSingleton selecting app=db, and
	// waits until the manager's cache, which the webhook reads, holds it.
	newSelectedNamespace := func(ctx context.Context) string {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "it-webhook-"}}
		Expect(api.Client.Create(ctx, ns)).To(Succeed())
		ss := &singletonv1.StatefulSingleton{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "db"},
			Spec: singletonv1.StatefulSingletonSpec{
				Selector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			},
		}
		Expect(api.Client.Create(ctx, ss)).To(Succeed())
		Eventually(func() error {
			return cached.Get(ctx, client.ObjectKeyFromObject(ss), &singletonv1.StatefulSingleton{})
		}).WithContext(ctx).Should(Succeed())
		return ns.Name
	}

	appPod := func(ns, name, app string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": app}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "app", Image: "localhost/busybox:1.35",
				Command: []string{"sh", "-c"}, Args: []string{`echo "a b", it's; exec sleep 3600`},
			}}},
		}
	}

	It("prepares a pod that a StatefulSingleton of its namespace selects", func(ctx SpecContext) {
		ns := newSelectedNamespace(ctx)
		pod := appPod(ns, "db-0", "db")
		Expect(api.Client.Create(ctx, pod)).To(Succeed())

		Expect(pod.Labels).To(HaveKeyWithValue(singletonv1.LabelManaged, "true"))
		Expect(pod.Labels).To(HaveKeyWithValue(singletonv1.LabelInstance, "db"))
		Expect(pod.Spec.ReadinessGates).To(ContainElement(corev1.PodReadinessGate{ConditionType: singletonv1.ReadinessGate}))
		Expect(pod.Spec.InitContainers).To(HaveLen(1))
		Expect(pod.Spec.InitContainers[0].Name).To(Equal(podwebhook.InstallContainer))
		Expect(pod.Spec.InitContainers[0].Image).To(Equal(itGateImage))
		Expect(pod.Spec.Containers[0].Command).To(Equal([]string{
			"/singleton/bin/gate", "exec", "--", "sh", "-c", `echo "a b", it's; exec sleep 3600`,
		}))
		Expect(pod.Spec.Containers[0].Args).To(BeEmpty())
		Expect(pod.Spec.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution).To(HaveLen(1))
	})

	// docs/gate.md, "Containers without a command": the same workload written without a
	// command, its image's ENTRYPOINT being the command, is prepared as the one with the command,
	// its image pinned to the digest the webhook read (with the pod's pull secret, through the
	// API server).
	It("wraps a container without a command as the one with its image's ENTRYPOINT as command", func(ctx SpecContext) {
		ns := newSelectedNamespace(ctx)
		digest := reg.Push(GinkgoT(), "busybox:1.35", registrytest.Image(GinkgoT(), []string{"sh", "-c"}, []string{"exit 3"}))
		Expect(api.Client.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pull"},
			Type:       corev1.SecretTypeDockerConfigJson,
			Data:       map[string][]byte{corev1.DockerConfigJsonKey: reg.DockerConfigJSON()},
		})).To(Succeed())

		withCommand := appPod(ns, "db-0", "db")
		withCommand.Spec.Containers[0].Image = reg.Host + "/busybox:1.35"
		withCommand.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "pull"}}
		Expect(api.Client.Create(ctx, withCommand)).To(Succeed())

		noCommand := appPod(ns, "db-1", "db")
		noCommand.Spec.Containers[0].Image = reg.Host + "/busybox:1.35"
		noCommand.Spec.Containers[0].Command = nil
		noCommand.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "pull"}}
		Expect(api.Client.Create(ctx, noCommand)).To(Succeed())

		Expect(noCommand.Spec.Containers[0].Image).To(Equal(reg.Host + "/busybox@" + digest))
		Expect(noCommand.Annotations).To(HaveKeyWithValue(podwebhook.AnnotationImageEntrypoints,
			"app="+reg.Host+"/busybox:1.35"))
		noCommand.Spec.Containers[0].Image = withCommand.Spec.Containers[0].Image
		Expect(noCommand.Spec.InitContainers).To(Equal(withCommand.Spec.InitContainers), "no sidecar, no pull container")
		Expect(noCommand.Spec.Containers).To(Equal(withCommand.Spec.Containers))
		Expect(noCommand.Spec.Volumes).To(Equal(withCommand.Spec.Volumes))
	})

	It("holds a container without a command by the sidecar when its image cannot be read, and says why",
		func(ctx SpecContext) {
			ns := newSelectedNamespace(ctx)
			reg.Push(GinkgoT(), "private:1", registrytest.Image(GinkgoT(), []string{"/app"}, nil))
			pod := appPod(ns, "db-0", "db")
			pod.Spec.Containers[0].Image = reg.Host + "/private:1"
			pod.Spec.Containers[0].Command = nil
			Expect(api.Client.Create(ctx, pod)).To(Succeed(), "no pull secret: the registry refuses")

			Expect(pod.Spec.Containers[0].Image).To(Equal(reg.Host+"/private:1"), "not pinned")
			Expect(pod.Spec.Containers[0].Command).To(BeEmpty())
			Expect(pod.Spec.InitContainers[len(pod.Spec.InitContainers)-1].Name).To(Equal(podwebhook.SidecarContainer))
			Eventually(func(g Gomega) {
				list := &eventsv1.EventList{}
				g.Expect(api.Client.List(ctx, list, client.InNamespace(ns))).To(Succeed())
				g.Expect(list.Items).To(ContainElement(SatisfyAll(
					HaveField("Reason", podwebhook.ReasonImageNotResolved),
					HaveField("Type", corev1.EventTypeWarning),
					HaveField("Regarding.Kind", "StatefulSingleton"),
					HaveField("Regarding.Name", "db"),
					HaveField("Note", ContainSubstring("401 Unauthorized")),
				)))
			}).WithContext(ctx).Should(Succeed())
		})

	It("leaves a pod that nobody selects unchanged", func(ctx SpecContext) {
		ns := newSelectedNamespace(ctx)
		pod := appPod(ns, "web-0", "web")
		sent := pod.DeepCopy()
		Expect(api.Client.Create(ctx, pod)).To(Succeed())

		Expect(pod.Labels).To(Equal(sent.Labels))
		Expect(pod.Spec.InitContainers).To(BeEmpty())
		Expect(pod.Spec.ReadinessGates).To(BeEmpty())
		Expect(pod.Spec.Affinity).To(BeNil())
		Expect(pod.Spec.Containers[0].Command).To(Equal(sent.Spec.Containers[0].Command))
		Expect(pod.Spec.Containers[0].Args).To(Equal(sent.Spec.Containers[0].Args))
		Expect(pod.Spec.Containers[0].VolumeMounts).To(Equal(sent.Spec.Containers[0].VolumeMounts))
	})

	It("leaves a pod re-created from a prepared spec as it is", func(ctx SpecContext) {
		ns := newSelectedNamespace(ctx)
		prepared := appPod(ns, "db-0", "db")
		Expect(api.Client.Create(ctx, prepared)).To(Succeed())

		again := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db-1", Labels: prepared.Labels},
			Spec:       *prepared.Spec.DeepCopy(),
		}
		Expect(api.Client.Create(ctx, again)).To(Succeed())
		Expect(again.Labels).To(Equal(prepared.Labels))
		Expect(again.Spec).To(Equal(prepared.Spec))
	})
})

// startWebhookManager starts a manager serving only the pod webhook, where the API server's
// webhook configuration (installed by envtest) calls it, waits until it serves, and returns
// the manager's cached client.
func startWebhookManager(ctx context.Context, api *framework.APIServer, images *podwebhook.ImageResolution,
) client.Reader {
	wio := &api.Env.WebhookInstallOptions
	mgr, err := ctrl.NewManager(api.Config, ctrl.Options{
		Scheme:                 api.Env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		WebhookServer: webhook.NewServer(webhook.Options{
			Host: wio.LocalServingHost, Port: wio.LocalServingPort, CertDir: wio.LocalServingCertDir,
		}),
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(podwebhook.SetupPodWebhookWithManager(ctx, mgr, itGateImage, nil, images)).To(Succeed())

	runInBackground(ctx, mgr.Start)
	Eventually(webhookServes).WithContext(ctx).WithArguments(api).Should(Succeed())
	return mgr.GetClient()
}

// webhookServes dials the webhook server that the API server's webhook configurations
// (installed by envtest) call, and fails when nothing accepts a TLS connection there.
func webhookServes(ctx context.Context, api *framework.APIServer) error {
	wio := &api.Env.WebhookInstallOptions
	addr := net.JoinHostPort(wio.LocalServingHost, fmt.Sprint(wio.LocalServingPort))
	dialer := &tls.Dialer{
		NetDialer: &net.Dialer{Timeout: time.Second},
		Config:    &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // only checks that the server listens
	}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return conn.Close()
}
