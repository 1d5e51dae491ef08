package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/gatechannel"
	"github.com/singleton-operator/singleton-operator/internal/gatewire"
	"github.com/singleton-operator/singleton-operator/internal/imageconfig"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
	"github.com/singleton-operator/singleton-operator/test/framework"
)

// The real gate (cmd/gate, built here) against the real channel (internal/gatechannel, with
// the operator's reconciler and a real API server's TokenReview), with the command line the
// webhook writes: the two sides of internal/gatewire agree. The gate runs as PID 1 of a new
// PID namespace (root only), with the no-shell application of cmd/gate's tests.
var _ = Describe("The gate binary on the channel", Ordered, func() {
	var (
		api             *framework.APIServer
		clientset       *kubernetes.Clientset
		ledger          *gatechannel.Ledger
		channel, caHash string
		gate, app       string
	)
	const serverName = "singleton-operator-webhook-service.singleton-operator.svc"

	BeforeAll(func(ctx SpecContext) {
		if os.Geteuid() != 0 {
			Skip("the gate runs as PID 1 of a new PID namespace, which needs root")
		}
		bin := GinkgoT().TempDir()
		gate, app = filepath.Join(bin, "gate"), filepath.Join(bin, "app")
		for out, pkg := range map[string]string{gate: "../../cmd/gate", app: "../../cmd/gate/testdata/app"} {
			build := exec.Command("go", "build", "-o", out, pkg)
			build.Env = append(os.Environ(), "CGO_ENABLED=0")
			Expect(build.CombinedOutput()).Error().NotTo(HaveOccurred(), pkg)
		}

		var err error
		api, err = framework.StartAPIServer("gatebinary", "config/crd/bases")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(api.Stop)
		clientset, err = kubernetes.NewForConfig(api.Config)
		Expect(err).NotTo(HaveOccurred())
		Expect(api.Client.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}})).To(Succeed())
		certs, ca := channelCertificates("gate binary test CA")
		caHash = caSHA256(ca)
		ledger = gatechannel.NewLedger()
		channel = startChannelOperator(api, clientset, ledger, certs)
	}, NodeTimeout(3*time.Minute))

	// fromImage: the pod is written without a command, and the webhook read its image's
	// ENTRYPOINT and CMD (docs/gate.md, "Containers without a command"): the command line it
	// writes then runs, as written, the no-shell application with the image's argv.
	DescribeTable("gets its release pushed, runs the application, and reports its exit into the ledger once its pod is deleted",
		func(ctx SpecContext, fromImage bool) {
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "it-gatebin-"}}
			Expect(api.Client.Create(ctx, ns)).To(Succeed())
			Expect(api.Client.Create(ctx, &corev1.ServiceAccount{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "app"},
			})).To(Succeed())
			Expect(api.Client.Create(ctx, &singletonv1.StatefulSingleton{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "db"},
				Spec: singletonv1.StatefulSingletonSpec{
					Selector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
				},
			})).To(Succeed())
			dir := GinkgoT().TempDir()
			out := filepath.Join(dir, "signals")
			pod := unpreparedPod(ns.Name, "only", "node-1")
			pod.Spec.ServiceAccountName = "app"
			opts := podwebhook.InjectOptions{Singleton: "db", GateImage: itGateImage,
				Supervision: &podwebhook.Supervision{Operator: channel, ServerName: serverName, CASHA256: caHash}}
			wantArgv := []string{"/bin/db"}
			if fromImage {
				pod.Spec.Containers[0].Command = nil
				opts.Images = map[string]podwebhook.ImageEntrypoint{"app": {
					From:    pod.Spec.Containers[0].Image,
					Image:   "localhost/busybox@sha256:" + strings.Repeat("ab", 32),
					Process: imageconfig.Process{Entrypoint: []string{"app"}, Cmd: []string{"no-handler", out}},
				}}
				wantArgv = []string{"app", "no-handler", out}
			}
			Expect(podwebhook.Inject(pod, opts)).To(Succeed())
			Expect(api.Client.Create(ctx, pod)).To(Succeed())

			By("laying out the pod's volumes as the kubelet would: the token, the state, the downward API (never released)")
			token, err := clientset.CoreV1().ServiceAccounts(ns.Name).CreateToken(ctx, "app", &authenticationv1.TokenRequest{
				Spec: authenticationv1.TokenRequestSpec{
					Audiences: []string{gatewire.Audience}, ExpirationSeconds: ptr.To(int64(600)),
					BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
				},
			}, metav1.CreateOptions{})
			Expect(err).NotTo(HaveOccurred())
			tokenDir, stateDir, podinfo := filepath.Join(dir, "token"), filepath.Join(dir, "state"), filepath.Join(dir, "podinfo")
			for _, d := range []string{tokenDir, stateDir, podinfo} {
				Expect(os.Mkdir(d, 0o755)).To(Succeed())
			}
			Expect(os.WriteFile(filepath.Join(tokenDir, gatewire.TokenFile), []byte(token.Status.Token), 0o600)).To(Succeed())
			Expect(os.WriteFile(filepath.Join(podinfo, "uid"), []byte(pod.UID), 0o644)).To(Succeed())
			Expect(os.WriteFile(filepath.Join(podinfo, "release"), nil, 0o644)).To(Succeed())

			By("running the webhook's command line, its gate (and, with a command, its application) replaced by the built ones")
			command := pod.Spec.Containers[0].Command
			Expect(command[:3]).To(Equal([]string{podwebhook.BinGatePath, "exec", gatewire.FlagSupervise}))
			dashes := slices.Index(command, "--")
			Expect(command[dashes+1:]).To(Equal(wantArgv), "the application's command follows the gate's flags")
			argv := []string{"app", "no-handler", out}
			if fromImage {
				argv = command[dashes+1:]
			}
			args := slices.Concat([]string{"exec", "--podinfo", podinfo, "--state-dir", stateDir, "--token-dir", tokenDir},
				command[2:dashes+1], argv)
			cmd := exec.Command(gate, args...)
			cmd.Env = []string{"PATH=" + filepath.Dir(app)}
			var output bytes.Buffer
			cmd.Stdout, cmd.Stderr = &output, &output
			cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID, Setpgid: true}
			Expect(cmd.Start()).To(Succeed())
			exited := make(chan struct{})
			go func() { _ = cmd.Wait(); close(exited) }()
			DeferCleanup(func() {
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-exited
				GinkgoWriter.Printf("the gate's output:\n%s", output.String())
			})

			Eventually(func() ([]byte, error) { return os.ReadFile(out) }).WithTimeout(time.Minute).
				Should(Equal([]byte("ready\n")), "the application runs: its release was pushed (the file never said so)")

			By("deleting the pod and stopping its container as the kubelet does: the exit reported at once")
			Expect(api.Client.Delete(ctx, pod)).To(Succeed())
			Eventually(func() (*metav1.Time, error) {
				current := &corev1.Pod{}
				err := api.Client.Get(ctx, keyOf(pod), current)
				return current.DeletionTimestamp, err
			}).WithContext(ctx).ShouldNot(BeNil())
			stopped := time.Now()
			Expect(cmd.Process.Signal(syscall.SIGTERM)).To(Succeed())
			Eventually(exited).WithTimeout(time.Minute).Should(BeClosed())
			Expect(cmd.ProcessState.ExitCode()).To(Equal(143), "the application, without a SIGTERM handler, died of it")
			Expect(time.Since(stopped)).To(BeNumerically("<", time.Second),
				"the report of a deleting pod is taken at once (the gate gives up only after 2 s)")
			Expect(ledger.Snapshot(pod.UID).Pods[pod.UID].Containers).To(HaveKeyWithValue("app",
				gatechannel.ContainerRecord{Start: 1, Exited: true, ExitCode: 143,
					ExitedAt: ledger.Snapshot(pod.UID).Pods[pod.UID].Containers["app"].ExitedAt}),
				"the exit of start 1 is in the ledger")
		},
		Entry("with a command", false),
		Entry("without a command, its image's ENTRYPOINT and CMD read", true))
})
