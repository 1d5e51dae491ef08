//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/controller/apps"
	"github.com/singleton-operator/singleton-operator/internal/gatechannel"
	"github.com/singleton-operator/singleton-operator/internal/gatewire"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
)

// The fast hand-over (docs/design.md S6, docs/fast-handover.md) on the real cluster: the gates
// supervise the applications and report their exits to the operator over the channel.
var _ = Describe("The fast hand-over (S6)", func() {
	It("hands over on the old gate's exit report, in turn, and says so", func(ctx SpecContext) {
		run := startSlowStopRun(ctx)
		Expect(run.first.Annotations).To(HaveKeyWithValue(singletonv1.AnnotationFastHandOver,
			podwebhook.FastHandOverSupervised))
		names, supervised := podwebhook.SupervisedContainers(&run.first)
		Expect(supervised).To(BeTrue())
		Expect(names).To(Equal([]string{"app"}))

		restartRollout(ctx, run.d)
		second := waitForOnlyPodReady(ctx, run.ns, "db", run.first.UID)
		expectRunsInTurn(ctx, run.book, run.first.Name, second.Name)
		Eventually(stopReportedByGate).WithContext(ctx).WithArguments(run.ns, run.ss.Name).
			Should(ContainElement(ContainSubstring(run.first.Name)), "the stop was proven by the gate")
	})

	It("hands over in turn after the operator was killed with gates connected", Serial, func(ctx SpecContext) {
		scaleOperator(ctx, 2)
		// The gate opens its session as it starts, before its release: the first pod's gate is
		// connected to the leader once the pod is Ready.
		run := startSlowStopRun(ctx)
		Expect(run.first.Annotations).To(HaveKeyWithValue(singletonv1.AnnotationFastHandOver,
			podwebhook.FastHandOverSupervised))

		By("force-deleting the leader, whose gates' sessions go with it")
		leader := leaderPod(ctx)
		Expect(k8s.Delete(ctx, &corev1.Pod{ObjectMeta: leader.ObjectMeta}, client.GracePeriodSeconds(0))).To(Succeed())
		scaleOperator(ctx, 2)
		Eventually(func() string { return leaderPod(ctx).Name }).WithContext(ctx).ShouldNot(Equal(leader.Name))

		restartRollout(ctx, run.d)
		second := waitForOnlyPodReady(ctx, run.ns, "db", run.first.UID)
		expectRunsInTurn(ctx, run.book, run.first.Name, second.Name)
	})

	// A network policy that keeps the pods from the operator's channel: the gates' sessions and
	// reports never arrive, and the hand-over falls back to the kubelet's proof and the
	// downward API file, in turn. The local cluster's network plugin enforces no
	// NetworkPolicy, so the test drops the traffic itself, where such a policy would: every
	// packet from a pod to the channel's port, in the cluster's network namespace (where the
	// test runs), sessions already open included. Serial: it cuts every pod's channel.
	It("falls back to the kubelet's proof when the channel is blocked", Serial, func(ctx SpecContext) {
		run := startSlowStopRun(ctx)
		Expect(run.first.Annotations).To(HaveKeyWithValue(singletonv1.AnnotationFastHandOver,
			podwebhook.FastHandOverSupervised))

		By("dropping every packet from a pod to the channel's port")
		rule := []string{"FORWARD", "-p", "tcp", "--dport", strconv.Itoa(gatechannel.DefaultPort), "-j", "DROP"}
		iptables(ctx, append([]string{"-I"}, rule...)...)
		DeferCleanup(func(ctx SpecContext) { iptables(ctx, append([]string{"-D"}, rule...)...) })

		restartRollout(ctx, run.d)
		second := waitForOnlyPodReady(ctx, run.ns, "db", run.first.UID)
		expectRunsInTurn(ctx, run.book, run.first.Name, second.Name)
		Expect(stopReportedByGate(ctx, run.ns, run.ss.Name)).To(BeEmpty(),
			"no gate's word reached the operator: the kubelet's proof released the new pod")
	})

	It("refuses an impostor's tokens, and a pod no StatefulSingleton guards", func(ctx SpecContext) {
		ns := newRestrictedNamespace(ctx)
		impostor := restrictedContainer("app", "sh", "-c", "exec sleep 3600")
		d := deployment(ns, "impostor", impostor)
		Expect(k8s.Create(ctx, d)).To(Succeed())
		pod := waitForOnlyPodReady(ctx, ns, "impostor", "")

		bound := func(audience string) string {
			req, err := clientset.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "default", &authenticationv1.TokenRequest{
				Spec: authenticationv1.TokenRequestSpec{
					Audiences: []string{audience}, ExpirationSeconds: ptr.To(int64(600)),
					BoundObjectRef: &authenticationv1.BoundObjectReference{
						Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID,
					},
				},
			}, metav1.CreateOptions{})
			Expect(err).NotTo(HaveOccurred())
			return req.Status.Token
		}
		report := gatewire.ExitReport{Session: "forged", Container: "app", Start: 1}
		Expect(postToLeader(ctx, gatewire.ExitedPath, "forged-token", report)).To(Equal(http.StatusUnauthorized))
		Expect(postToLeader(ctx, gatewire.ExitedPath, bound("https://kubernetes.default.svc.cluster.local"), report)).
			To(Equal(http.StatusUnauthorized), "a pod-bound token of another audience")
		Expect(postToLeader(ctx, gatewire.ExitedPath, bound(gatewire.Audience), report)).
			To(Equal(http.StatusForbidden), "the right audience, but a pod no StatefulSingleton guards")
	})
})

// stopReportedByGate returns the notes of the StopReportedByGate events of a StatefulSingleton.
func stopReportedByGate(ctx context.Context, ns, name string) ([]string, error) {
	events, err := gateStopEvents(ctx, ns)
	var notes []string
	for i := range events {
		if e := &events[i]; e.Regarding.Name == name {
			Expect(e.Note).To(ContainSubstring(apps.StopReasonGateReportedExit))
			notes = append(notes, e.Note)
		}
	}
	return notes, err
}

// gateStopEvents returns the StopReportedByGate events of a namespace: the operator's word that a
// pod was confirmed stopped by its gates (S6).
func gateStopEvents(ctx context.Context, ns string) ([]eventsv1.Event, error) {
	list := &eventsv1.EventList{}
	if err := k8s.List(ctx, list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list.Items, func(e eventsv1.Event) bool { return e.Reason != "StopReportedByGate" }), nil
}

// postToLeader sends a request to the leader's channel, as a gate would (TLS, the operator's
// certificate not checked here: the answer is what is tested), and returns the status code.
func postToLeader(ctx context.Context, path, token string, body any) (int, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	leader := leaderPod(ctx)
	url := "https://" + net.JoinHostPort(leader.Status.PodIP, strconv.Itoa(gatechannel.DefaultPort)) + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // the answer is tested, not the server
	}}
	resp, err := c.Do(req)
	if err != nil {
		return 0, fmt.Errorf("posting to %s: %w", url, err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// iptables changes the packet filter of the cluster's network namespace, where the e2e suite
// runs (hack/test-e2e.sh).
func iptables(ctx context.Context, args ...string) {
	GinkgoHelper()
	out, err := exec.CommandContext(ctx, "iptables", append([]string{"-w", "5"}, args...)...).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "iptables %v: %s", args, out)
}
