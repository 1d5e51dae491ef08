package integration

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/event"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/controller/apps"
	"github.com/singleton-operator/singleton-operator/internal/gatechannel"
	"github.com/singleton-operator/singleton-operator/internal/gatewire"
	"github.com/singleton-operator/singleton-operator/internal/servingcert"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
	"github.com/singleton-operator/singleton-operator/test/framework"
)

// The gate channel runs against an API server of its own, with an operator whose reconciler
// reads the channel's ledger: real TokenReviews of real pod-bound tokens (TokenRequest), the
// release pushed after it is recorded, and a hand-over on the gates' word. The tests play the
// gates (HTTP requests as cmd/gate sends them) and the kubelet (pod status).
var _ = Describe("The gate channel", Ordered, func() {
	const (
		node       = "node-1"
		serverName = "singleton-operator-webhook-service.singleton-operator.svc"
	)
	var (
		api       *framework.APIServer
		clientset *kubernetes.Clientset
		ledger    *gatechannel.Ledger
		channel   string
		caPool    *x509.CertPool
		caHash    string
	)

	BeforeAll(func(ctx SpecContext) {
		var err error
		api, err = framework.StartAPIServer("gatechannel", "config/crd/bases")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(api.Stop)
		clientset, err = kubernetes.NewForConfig(api.Config)
		Expect(err).NotTo(HaveOccurred())
		Expect(api.Client.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node}})).To(Succeed())

		certs, ca := channelCertificates("gate channel test CA")
		caPool = x509.NewCertPool()
		caPool.AddCert(ca)
		caHash = caSHA256(ca)

		ledger = gatechannel.NewLedger()
		channel = startChannelOperator(api, clientset, ledger, certs)
	}, NodeTimeout(2*time.Minute))

	// gateClient talks to the channel as the gate does: TLS to the channel's address, the
	// certificate checked for the Service's name against the CA given.
	gateClient := func() *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs: caPool, ServerName: serverName, MinVersion: tls.VersionTLS12,
		}}}
	}
	// postWith sends a gate's request with the client given; post with a client of its own.
	postWith := func(ctx context.Context, c *http.Client, path, token string, body any) *http.Response {
		GinkgoHelper()
		b, err := json.Marshal(body)
		Expect(err).NotTo(HaveOccurred())
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, channel+path, bytes.NewReader(b))
		Expect(err).NotTo(HaveOccurred())
		req.Header.Set("Content-Type", gatewire.ContentType)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := c.Do(req)
		Expect(err).NotTo(HaveOccurred())
		return resp
	}
	post := func(ctx context.Context, path, token string, body any) *http.Response {
		GinkgoHelper()
		return postWith(ctx, gateClient(), path, token, body)
	}
	// supervisedPod creates a pod as the webhook prepares it with the channel on.
	supervisedPod := func(ctx context.Context, ns, name string) *corev1.Pod {
		GinkgoHelper()
		pod := unpreparedPod(ns, name, node)
		pod.Spec.ServiceAccountName = "app"
		Expect(podwebhook.Inject(pod, podwebhook.InjectOptions{Singleton: "db", GateImage: itGateImage,
			Supervision: &podwebhook.Supervision{Operator: channel, ServerName: serverName, CASHA256: caHash}})).To(Succeed())
		Expect(api.Client.Create(ctx, pod)).To(Succeed())
		names, ok := podwebhook.SupervisedContainers(pod)
		Expect(ok).To(BeTrue())
		Expect(names).To(Equal([]string{"app"}))
		return pod
	}
	// tokenFor requests a token of the ServiceAccount app bound to the pod, as the kubelet
	// projects it into the pod.
	tokenFor := func(ctx context.Context, pod *corev1.Pod, audience string) string {
		GinkgoHelper()
		req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
			Audiences: []string{audience}, ExpirationSeconds: ptr.To(int64(600)),
		}}
		if pod != nil {
			req.Spec.BoundObjectRef = &authenticationv1.BoundObjectReference{
				Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID,
			}
		}
		ns := "default"
		if pod != nil {
			ns = pod.Namespace
		}
		got, err := clientset.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "app", req, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		return got.Status.Token
	}
	newChannelNamespace := func(ctx context.Context) (string, *singletonv1.StatefulSingleton) {
		GinkgoHelper()
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "it-channel-"}}
		Expect(api.Client.Create(ctx, ns)).To(Succeed())
		Expect(api.Client.Create(ctx, &corev1.ServiceAccount{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "app"},
		})).To(Succeed())
		ss := &singletonv1.StatefulSingleton{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "db"},
			Spec: singletonv1.StatefulSingletonSpec{
				Selector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			},
		}
		Expect(api.Client.Create(ctx, ss)).To(Succeed())
		return ns.Name, ss
	}
	getPodFrom := func(ctx context.Context, pod *corev1.Pod) (*corev1.Pod, error) {
		current := &corev1.Pod{}
		return current, api.Client.Get(ctx, keyOf(pod), current)
	}
	// openSession opens a session and returns its first event and the stream.
	openSession := func(ctx context.Context, token, container string, start int) (gatewire.Event, *bufio.Reader) {
		GinkgoHelper()
		var resp *http.Response
		Eventually(func() int {
			resp = post(ctx, gatewire.SessionPath, token, gatewire.Hello{Container: container, Start: start})
			if resp.StatusCode != http.StatusOK {
				_ = resp.Body.Close()
			}
			return resp.StatusCode
		}).WithContext(ctx).Should(Equal(http.StatusOK), "the channel answers 503 until its cache holds the pod")
		DeferCleanup(resp.Body.Close)
		events := bufio.NewReader(resp.Body)
		var first gatewire.Event
		line, err := events.ReadBytes('\n')
		Expect(err).NotTo(HaveOccurred())
		Expect(json.Unmarshal(line, &first)).To(Succeed())
		return first, events
	}

	It("authenticates a pod-bound token, names the pod in the session, and pushes the release once it is written",
		func(ctx SpecContext) {
			ns, _ := newChannelNamespace(ctx)
			pod := supervisedPod(ctx, ns, "first")
			first, events := openSession(ctx, tokenFor(ctx, pod, gatewire.Audience), "app", 1)
			Expect(first.Type).To(Equal(gatewire.EventSession))
			Expect(first.PodUID).To(Equal(string(pod.UID)))
			Expect(first.Session).NotTo(BeEmpty())

			By("pushing the release, which the API holds by then (S2)")
			line, err := events.ReadBytes('\n')
			Expect(err).NotTo(HaveOccurred())
			var release gatewire.Event
			Expect(json.Unmarshal(line, &release)).To(Succeed())
			Expect(release.Type).To(Equal(gatewire.EventRelease))
			Expect(getPodFrom(ctx, pod)).To(HaveField("Annotations",
				HaveKeyWithValue(singletonv1.AnnotationRelease, string(pod.UID))))
		})

	It("hands over on the gates' word: the old pod deleted and its exit reported, nothing from the kubelet (S6)",
		func(ctx SpecContext) {
			ns, ss := newChannelNamespace(ctx)
			first := supervisedPod(ctx, ns, "first")
			firstToken := tokenFor(ctx, first, gatewire.Audience)
			session, _ := openSession(ctx, firstToken, "app", 1)
			Eventually(getPodFrom).WithContext(ctx).WithArguments(first).Should(HaveField("Annotations",
				HaveKeyWithValue(singletonv1.AnnotationRelease, string(first.UID))))
			setStatus(ctx, api, first, corev1.ContainerState{Running: &corev1.ContainerStateRunning{}})

			second := supervisedPod(ctx, ns, "second")
			setStatus(ctx, api, second, corev1.ContainerState{Running: &corev1.ContainerStateRunning{}})
			By("asking the first pod to stop once the second one is armed, its release recorded ahead")
			Eventually(getPodFrom).WithContext(ctx).WithArguments(first).
				Should(HaveField("DeletionTimestamp", Not(BeNil())))
			ahead := &singletonv1.StatefulSingleton{}
			Expect(api.Client.Get(ctx, client.ObjectKeyFromObject(ss), ahead)).To(Succeed())
			Expect(ahead.Status.ActivePodUID).To(Equal(second.UID), "recorded before the stop was asked for")
			Expect(ahead.Status.MayRunPods).To(ConsistOf(HaveField("UID", first.UID), HaveField("UID", second.UID)))
			Expect(ahead.Status.CurrentTransition).To(HaveField("ReleaseTime", BeNil()))
			By("tracking the second pod meanwhile, so that its release may be pushed before its annotation")
			Eventually(getPodFrom).WithContext(ctx).WithArguments(second).
				Should(HaveField("Finalizers", ContainElement(singletonv1.FinalizerRelease)))
			_, secondEvents := openSession(ctx, tokenFor(ctx, second, gatewire.Audience), "app", 1)

			By("holding the second pod while the first one's gate has not reported")
			Consistently(getPodFrom).WithContext(ctx).WithArguments(second).WithTimeout(time.Second).
				Should(HaveField("Annotations", Not(HaveKey(singletonv1.AnnotationRelease))))

			By("releasing it on the first one's exit report, which the channel takes only with the pod's token")
			resp := post(ctx, gatewire.ExitedPath, tokenFor(ctx, second, gatewire.Audience),
				gatewire.ExitReport{Session: session.Session, Container: "app", Start: 1})
			Expect(resp.StatusCode).To(Equal(http.StatusBadRequest), "the second pod's token cannot use the first one's session")
			_ = resp.Body.Close()
			resp = post(ctx, gatewire.ExitedPath, firstToken,
				gatewire.ExitReport{Session: session.Session, Container: "app", Start: 1, ExitCode: 143})
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
			_ = resp.Body.Close()
			By("pushing the second pod its release, which the status recorded ahead (S2)")
			line, err := secondEvents.ReadBytes('\n')
			Expect(err).NotTo(HaveOccurred())
			var release gatewire.Event
			Expect(json.Unmarshal(line, &release)).To(Succeed())
			Expect(release.Type).To(Equal(gatewire.EventRelease))
			recorded := &singletonv1.StatefulSingleton{}
			Expect(api.Client.Get(ctx, client.ObjectKeyFromObject(ss), recorded)).To(Succeed())
			Expect(recorded.Status.ActivePodUID).To(Equal(second.UID))
			Eventually(getPodFrom).WithContext(ctx).WithArguments(second).Should(HaveField("Annotations",
				HaveKeyWithValue(singletonv1.AnnotationRelease, string(second.UID))))
			Expect(ledger.Consumed(first.UID)).To(BeTrue())
			Eventually(func(g Gomega) {
				list := &eventsv1.EventList{}
				g.Expect(api.Client.List(ctx, list, client.InNamespace(ns))).To(Succeed())
				g.Expect(list.Items).To(ContainElement(SatisfyAll(
					HaveField("Reason", "StopReportedByGate"),
					HaveField("Regarding.Name", ss.Name),
					HaveField("Note", ContainSubstring(apps.StopReasonGateReportedExit)),
				)))
			}).WithContext(ctx).Should(Succeed())
			Eventually(getPodFrom).WithContext(ctx).WithArguments(first).Should(HaveField("Annotations",
				HaveKeyWithValue(singletonv1.AnnotationStopConfirmed, string(first.UID))))

			By("refusing the first pod's gate any later start")
			resp = post(ctx, gatewire.StartedPath, firstToken,
				gatewire.StartRequest{Session: session.Session, Container: "app", Start: 2})
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
			var verdict gatewire.Verdict
			Expect(json.NewDecoder(resp.Body).Decode(&verdict)).To(Succeed())
			_ = resp.Body.Close()
			Expect(verdict.Allowed).To(BeFalse())
		})

	// The gate's report rides on the connection its session holds open, which reached the
	// leader: no handshake on the way to the release, and no retry spread by the Service over
	// replicas that do not lead.
	It("carries a gate's report on its session's connection (HTTP/2)", func(ctx SpecContext) {
		ns, _ := newChannelNamespace(ctx)
		pod := supervisedPod(ctx, ns, "multiplexed")
		token := tokenFor(ctx, pod, gatewire.Audience)
		var dials atomic.Int32
		dialer := &net.Dialer{}
		c := &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				return dialer.DialContext(ctx, network, addr)
			},
			TLSClientConfig:   &tls.Config{RootCAs: caPool, ServerName: serverName, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2: true,
		}}
		send := func(path string, body any) *http.Response {
			GinkgoHelper()
			return postWith(ctx, c, path, token, body)
		}
		var session *http.Response
		Eventually(func() int {
			session = send(gatewire.SessionPath, gatewire.Hello{Container: "app", Start: 1})
			if session.StatusCode != http.StatusOK {
				_ = session.Body.Close()
			}
			return session.StatusCode
		}).WithContext(ctx).Should(Equal(http.StatusOK), "the channel answers 503 until its cache holds the pod")
		DeferCleanup(session.Body.Close)
		Expect(session.ProtoMajor).To(Equal(2), "the channel speaks HTTP/2")
		var opened gatewire.Event
		line, err := bufio.NewReader(session.Body).ReadBytes('\n')
		Expect(err).NotTo(HaveOccurred())
		Expect(json.Unmarshal(line, &opened)).To(Succeed())
		dialed := dials.Load()

		resp := send(gatewire.ExitedPath, gatewire.ExitReport{Session: opened.Session, Container: "app", Start: 1})
		_ = resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		Expect(dials.Load()).To(Equal(dialed), "the report dialed no connection of its own")
	})

	It("allows a restart of a pod not being deleted, which voids the earlier exit report", func(ctx SpecContext) {
		ns, _ := newChannelNamespace(ctx)
		pod := supervisedPod(ctx, ns, "only")
		token := tokenFor(ctx, pod, gatewire.Audience)
		session, _ := openSession(ctx, token, "app", 1)
		resp := post(ctx, gatewire.ExitedPath, token, gatewire.ExitReport{Session: session.Session, Container: "app", Start: 1})
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		_ = resp.Body.Close()
		resp = post(ctx, gatewire.StartedPath, token, gatewire.StartRequest{Session: session.Session, Container: "app", Start: 2})
		var verdict gatewire.Verdict
		Expect(json.NewDecoder(resp.Body).Decode(&verdict)).To(Succeed())
		_ = resp.Body.Close()
		Expect(verdict).To(Equal(gatewire.Verdict{Allowed: true}))
		Expect(ledger.Snapshot(pod.UID).Pods[pod.UID].Containers).To(HaveKeyWithValue("app",
			gatechannel.ContainerRecord{Start: 2}))
	})

	It("refuses impostors before anything reaches the ledger", func(ctx SpecContext) {
		ns, _ := newChannelNamespace(ctx)
		pod := supervisedPod(ctx, ns, "victim")
		report := gatewire.ExitReport{Session: "x", Container: "app", Start: 1}
		for name, token := range map[string]string{
			"no token":                              "",
			"a token the API server did not issue":  "not-a-token",
			"a pod-bound token of another audience": tokenFor(ctx, pod, "https://kubernetes.default.svc"),
			"a token of the right audience bound to no pod": func() string {
				err := api.Client.Create(ctx, &corev1.ServiceAccount{
					ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "app"},
				})
				Expect(client.IgnoreAlreadyExists(err)).To(Succeed())
				return tokenFor(ctx, nil, gatewire.Audience)
			}(),
		} {
			resp := post(ctx, gatewire.ExitedPath, token, report)
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized), name)
		}
		resp := post(ctx, gatewire.ExitedPath, tokenFor(ctx, pod, gatewire.Audience),
			gatewire.ExitReport{Session: "x", Container: "not-in-the-pod", Start: 1})
		Eventually(func() int {
			_ = resp.Body.Close()
			resp = post(ctx, gatewire.ExitedPath, tokenFor(ctx, pod, gatewire.Audience),
				gatewire.ExitReport{Session: "x", Container: "not-in-the-pod", Start: 1})
			return resp.StatusCode
		}).WithContext(ctx).Should(Equal(http.StatusForbidden), "a container the pod does not have")
		_ = resp.Body.Close()
		Expect(ledger.Snapshot(pod.UID).Pods).To(BeEmpty())
	})
})

// startChannelOperator runs the StatefulSingleton reconciler with the gate channel, wired as
// cmd/main.go wires them, and returns the channel's address.
func startChannelOperator(api *framework.APIServer, clientset *kubernetes.Clientset, ledger *gatechannel.Ledger,
	certs *gatechannel.Certificates,
) string {
	GinkgoHelper()
	mgr, err := ctrl.NewManager(api.Config, ctrl.Options{
		Scheme:                 api.Env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
	})
	Expect(err).NotTo(HaveOccurred())
	events := make(chan event.GenericEvent, 64)
	port := freePort()
	server := &gatechannel.Server{
		Addr:        fmt.Sprintf("127.0.0.1:%d", port),
		Certificate: certs.GetCertificate,
		Ledger:      ledger,
		Auth:        &gatechannel.Authenticator{Reviews: clientset.AuthenticationV1().TokenReviews(), TTL: time.Second},
		Pods:        mgr.GetClient(),
		Elected:     mgr.Elected(),
		Events:      events,
		Log:         ctrl.Log.WithName("gatechannel"),
	}
	Expect(mgr.Add(server)).To(Succeed())
	Expect((&apps.StatefulSingletonReconciler{
		Client:     mgr.GetClient(),
		Recorder:   mgr.GetEventRecorder("statefulsingleton-controller"),
		Gate:       ledger,
		GateEvents: events,
		Releases:   server,
	}).SetupWithManager(mgr)).To(Succeed())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		defer GinkgoRecover()
		done <- mgr.Start(ctx)
	}()
	DeferCleanup(func() {
		cancel()
		Eventually(done).Should(Receive(Not(HaveOccurred())), "the manager stops without error")
	})
	return fmt.Sprintf("https://127.0.0.1:%d", port)
}

// setStatus reports the pod's one container in a state, as the kubelet would.
func setStatus(ctx context.Context, api *framework.APIServer, pod *corev1.Pod, state corev1.ContainerState) {
	Eventually(func(g Gomega) {
		current := &corev1.Pod{}
		g.Expect(api.Client.Get(ctx, keyOf(pod), current)).To(Succeed())
		current.Status.InitContainerStatuses = initContainersDone(current)
		current.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Image: "localhost/busybox:1.35", State: state}}
		g.Expect(api.Client.Status().Update(ctx, current)).To(Succeed())
	}).WithContext(ctx).Should(Succeed())
}

// channelCertificates makes a CA and a serving certificate for the webhook Service's names, as
// the operator's own Secret holds them, and returns them as the channel serves them, with the CA.
func channelCertificates(caName string) (*gatechannel.Certificates, *x509.Certificate) {
	GinkgoHelper()
	ca, err := servingcert.NewCA(caName, time.Now())
	Expect(err).NotTo(HaveOccurred())
	leaf, err := servingcert.NewLeaf(ca,
		servingcert.ServiceDNSNames("singleton-operator-webhook-service", "singleton-operator"), time.Now())
	Expect(err).NotTo(HaveOccurred())
	holder := servingcert.NewHolder()
	Expect(holder.Set(&servingcert.Bundle{CA: ca, Leaf: leaf})).To(Succeed())
	return &gatechannel.Certificates{Leaf: holder.GetCertificate, CA: holder.CA}, ca.Cert
}

// caSHA256 is the pin the webhook gives a gate: the hex SHA-256 of the CA certificate's DER.
func caSHA256(ca *x509.Certificate) string {
	sum := sha256.Sum256(ca.Raw)
	return hex.EncodeToString(sum[:])
}
