//go:build e2e

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/gatewire"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
)

// Containers without a command (docs/gate.md, "Containers without a command"): the webhook
// reads the image's ENTRYPOINT and CMD from its registry at admission, pins the pod to the
// digest read, and wraps the container with the supervising gate (S6); where it cannot read
// the image, the sidecar holds the container. Either way the application runs the argv it
// would run without the operator (S4), and rollouts hand over in turn (S1).
var _ = Describe("Containers without a command (S4, S6)", func() {
	It("reads the image's ENTRYPOINT and CMD from its registry, pins its digest, supervises it, "+
		"and hands over on the gate's word", func(ctx SpecContext) {
		reg := e2eRegistry(ctx)
		ns := newRestrictedNamespace(ctx)
		ss := createSingleton(ctx, ns, "db")
		book := startLedger()
		d := deployment(ns, "db", commandless(reg.App, book))
		Expect(k8s.Create(ctx, d)).To(Succeed())
		first := waitForOnlyPodReady(ctx, ns, "db", "")

		app := first.Spec.Containers[0]
		Expect(app.Image).To(Equal(reg.Host+"/app@"+reg.AppDigest), "the tag pinned to the digest the registry served")
		Expect(first.Annotations).To(HaveKeyWithValue(podwebhook.AnnotationImageEntrypoints, "app="+reg.App))
		Expect(first.Annotations).To(HaveKeyWithValue(singletonv1.AnnotationFastHandOver,
			podwebhook.FastHandOverSupervised))
		Expect(app.Command[:3]).To(Equal([]string{podwebhook.BinGatePath, "exec", gatewire.FlagSupervise}))
		Expect(app.Command).To(ContainElement("$$(HOSTNAME)"), "the image's words escaped for the kubelet")
		Eventually(appLogs).WithContext(ctx).WithArguments(first, "app").Should(Equal(appArgsPrinted()),
			"the image's ENTRYPOINT ran with its CMD, unchanged")

		restartRollout(ctx, d)
		second := waitForOnlyPodReady(ctx, ns, "db", first.UID)
		expectRunsInTurn(ctx, book, first.Name, second.Name)
		Eventually(stopReportedByGate).WithContext(ctx).WithArguments(ns, ss.Name).
			Should(ContainElement(ContainSubstring(first.Name)), "the stop was proven by the gate")
		Expect(imageNotResolved(ctx, ns)).To(BeEmpty())
	})

	It("holds a container whose image it cannot read with the sidecar, says why, and still hands over in turn",
		func(ctx SpecContext) {
			reg := e2eRegistry(ctx)
			ns := newRestrictedNamespace(ctx)
			createSingleton(ctx, ns, "db")
			book := startLedger()
			d := deployment(ns, "db", commandless(reg.Unreadable, book))
			Expect(k8s.Create(ctx, d)).To(Succeed())
			first := waitForOnlyPodReady(ctx, ns, "db", "")

			app := first.Spec.Containers[0]
			Expect(app.Image).To(Equal(reg.Unreadable), "not pinned: nothing was read")
			Expect(app.Command).To(BeEmpty(), "untouched: the runtime runs the image's ENTRYPOINT")
			Expect(first.Annotations).NotTo(HaveKey(podwebhook.AnnotationImageEntrypoints))
			Expect(first.Annotations[singletonv1.AnnotationFastHandOver]).To(HavePrefix("Off"))
			Expect(initContainerNames(first)).To(ContainElement(podwebhook.SidecarContainer))
			Eventually(imageNotResolved).WithContext(ctx).WithArguments(ns).
				Should(ContainElement(ContainSubstring(reg.Unreadable)))
			Eventually(appLogs).WithContext(ctx).WithArguments(first, "app").Should(Equal(appArgsPrinted()))

			restartRollout(ctx, d)
			second := waitForOnlyPodReady(ctx, ns, "db", first.UID)
			expectRunsInTurn(ctx, book, first.Name, second.Name)
		})

	It("reads an image of a private registry with the pod's pull secret, once the operator may read it; "+
		"without it, holds the container with the sidecar and says why", func(ctx SpecContext) {
		reg := e2eRegistry(ctx)
		ns := newRestrictedNamespace(ctx)
		createSingleton(ctx, ns, "db")
		createSingleton(ctx, ns, "nosecret")
		Expect(k8s.Create(ctx, pullSecret(ns, "private-registry", reg.PrivateHost, privateRegistryUser,
			reg.PrivatePassword))).To(Succeed())
		// The operator reads no Secret of a namespace until it is let (docs/gate.md, "Who may read
		// pull secrets").
		Expect(k8s.Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "singleton-operator-pull-secrets"},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole",
				Name: "singleton-operator-pull-secret-reader"},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: operatorNamespace,
				Name: operatorServiceAccount}},
		})).To(Succeed())
		book := startLedger()

		with := deployment(ns, "db", commandless(reg.Private, book))
		with.Spec.Template.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "private-registry"}}
		Expect(k8s.Create(ctx, with)).To(Succeed())
		pod := waitForOnlyPodReady(ctx, ns, "db", "")
		Expect(pod.Spec.Containers[0].Image).To(Equal(reg.PrivateHost+"/app@"+reg.PrivateDigest),
			"read with the pod's pull secret and pinned")
		Expect(pod.Annotations).To(HaveKeyWithValue(singletonv1.AnnotationFastHandOver, podwebhook.FastHandOverSupervised))
		Eventually(appLogs).WithContext(ctx).WithArguments(pod, "app").Should(Equal(appArgsPrinted()))

		// The same image, and no pull secret: the registry answers 401, the container keeps the
		// sidecar, and an event says why. (The node holds the image already, so it runs.)
		without := deployment(ns, "nosecret", commandless(reg.Private, book))
		Expect(k8s.Create(ctx, without)).To(Succeed())
		other := waitForOnlyPodReady(ctx, ns, "nosecret", "")
		Expect(other.Spec.Containers[0].Image).To(Equal(reg.Private), "not pinned: nothing was read")
		Expect(other.Spec.Containers[0].Command).To(BeEmpty())
		Expect(initContainerNames(other)).To(ContainElement(podwebhook.SidecarContainer))
		Eventually(imageNotResolved).WithContext(ctx).WithArguments(ns).Should(ContainElement(
			And(ContainSubstring(reg.Private), MatchRegexp(`(?i)unauthori[sz]ed|401`))))
		Expect(imageNotResolved(ctx, ns)).To(HaveLen(1), "the pod with the pull secret was read")
	})
})

// pullSecret is a kubernetes.io/dockerconfigjson Secret holding the credentials of one registry.
func pullSecret(ns, name, registryHost, user, password string) *corev1.Secret {
	GinkgoHelper()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	config, err := json.Marshal(map[string]any{"auths": map[string]any{registryHost: map[string]string{"auth": auth}}})
	Expect(err).NotTo(HaveOccurred())
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: config},
	}
}

// commandless is a container named app of the image, with no command and no args, whose
// application reports to the ledger (the App image's ENTRYPOINT reads $LEDGER).
func commandless(image string, book *ledger) corev1.Container {
	c := restrictedContainer("app")
	c.Image = image
	c.Env = []corev1.EnvVar{{Name: "LEDGER", Value: book.URL}}
	return c
}

// imageNotResolved returns the notes of the namespace's ImageNotResolved events.
func imageNotResolved(ctx context.Context, ns string) ([]string, error) {
	list := &eventsv1.EventList{}
	if err := k8s.List(ctx, list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	var notes []string
	for e := range slices.Values(list.Items) {
		if e.Reason == podwebhook.ReasonImageNotResolved {
			notes = append(notes, e.Note)
		}
	}
	return notes, nil
}
