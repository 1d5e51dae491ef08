package reportedstate

import (
	"context"

	kfv1alpha1 "github.com/kubestellar/kubeflex/api/v1alpha1"
	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
	"github.com/singleton-operator/singleton-operator/internal/controller/kubestellar"
	"github.com/singleton-operator/singleton-operator/test/framework"
)

// controlPlane is a KubeFlex ControlPlane as KubeFlex v0.9 leaves it once its space runs: the
// label KubeStellar finds WDSes and ITSes by, status.secretRef naming a Secret in the namespace
// <name>-system whose key holds a kubeconfig usable from outside the hosting cluster and whose
// inClusterKey holds one usable from a pod.
// Its methods write through wds.Client, whose scheme (the operator's) knows ControlPlanes.
type controlPlane struct {
	name, cpType, secret, key, inClusterKey string
}

func (c controlPlane) namespace() string { return c.name + "-system" }

// create makes the ControlPlane (without status: KubeFlex has not reconciled it yet).
func (c controlPlane) create(ctx context.Context) {
	GinkgoHelper()
	cp := &kfv1alpha1.ControlPlane{
		ObjectMeta: metav1.ObjectMeta{Name: c.name, Labels: map[string]string{"kflex.kubestellar.io/cptype": c.cpType}},
		Spec:       kfv1alpha1.ControlPlaneSpec{Type: kfv1alpha1.ControlPlaneTypeK8S},
	}
	Expect(wds.Client.Create(ctx, cp)).To(Succeed())
}

// ready writes the status KubeFlex writes: Ready, and the Secret's reference.
func (c controlPlane) ready(ctx context.Context) {
	GinkgoHelper()
	cp := &kfv1alpha1.ControlPlane{}
	Expect(wds.Client.Get(ctx, client.ObjectKey{Name: c.name}, cp)).To(Succeed())
	now := metav1.Now()
	cp.Status = kfv1alpha1.ControlPlaneStatus{
		Conditions: []kfv1alpha1.ControlPlaneCondition{{
			Type: kfv1alpha1.TypeReady, Status: corev1.ConditionTrue, Reason: kfv1alpha1.ReasonAvailable,
			LastUpdateTime: now, LastTransitionTime: now,
		}},
		ObservedGeneration: cp.Generation,
		SecretRef: &kfv1alpha1.SecretReference{
			Namespace: c.namespace(), Name: c.secret, Key: c.key, InClusterKey: c.inClusterKey,
		},
	}
	Expect(wds.Client.Status().Update(ctx, cp)).To(Succeed())
}

// writeSecret creates or replaces the ControlPlane's kubeconfig Secret: outside holds a
// kubeconfig that reaches cfg through server, and the in-cluster key one that reaches nothing
// (no pod runs here), so that only the right key connects.
func (c controlPlane) writeSecret(ctx context.Context, outside []byte) {
	GinkgoHelper()
	Expect(client.IgnoreAlreadyExists(wds.Client.Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: c.namespace()},
	}))).To(Succeed())
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: c.namespace(), Name: c.secret}}
	data := map[string][]byte{c.key: outside, c.inClusterKey: kubeconfigFor(&rest.Config{}, "https://127.0.0.1:1")}
	err := wds.Client.Get(ctx, client.ObjectKeyFromObject(s), s)
	if apierrors.IsNotFound(err) {
		s.Data = data
		Expect(wds.Client.Create(ctx, s)).To(Succeed())
		return
	}
	Expect(err).NotTo(HaveOccurred())
	s.Data = data
	Expect(wds.Client.Update(ctx, s)).To(Succeed())
}

// delete removes the ControlPlane and its namespace.
func (c controlPlane) delete(ctx context.Context) {
	GinkgoHelper()
	Expect(client.IgnoreNotFound(wds.Client.Delete(ctx, &kfv1alpha1.ControlPlane{ObjectMeta: metav1.ObjectMeta{Name: c.name}}))).
		To(Succeed())
	Expect(client.IgnoreNotFound(wds.Client.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: c.namespace()}}))).
		To(Succeed())
}

// A ReportedState can name its WDS and ITS by their KubeFlex ControlPlanes in the cluster the
// operator runs in; their kubeconfigs are read as KubeStellar's own controllers read them
// (docs/reported-state.md, "KubeFlex"), and under the rules of docs/design.md, R5.
var _ = Describe("KubeFlex ControlPlanes", Ordered, func() {
	// This WDS is an API server of its own, so that its objects are no business of the suite's
	// ReportedState; its WorkStatuses in the suite's ITS carry its own name.
	const origin = "kflex-wds"
	var (
		kwds       *framework.APIServer
		kwdsClient client.Client
	)
	wdsCP := controlPlane{name: "kflexwds", cpType: "wds", secret: "admin-kubeconfig", key: "kubeconfig",
		inClusterKey: "kubeconfig-incluster"}
	itsCP := controlPlane{name: "kflexits", cpType: "its", secret: "vc-vcluster", key: "config",
		inClusterKey: "config-incluster"}
	rs := &ksv1alpha1.ReportedState{
		ObjectMeta: metav1.ObjectMeta{Name: "kflex"},
		Spec: ksv1alpha1.ReportedStateSpec{
			WDSName: origin,
			WDS:     ksv1alpha1.ClusterRef{ControlPlaneRef: &ksv1alpha1.ControlPlaneRef{Name: wdsCP.name}},
			ITS:     ksv1alpha1.ClusterRef{ControlPlaneRef: &ksv1alpha1.ControlPlaneRef{Name: itsCP.name}},
		},
	}
	connected := func(ctx context.Context) (string, error) {
		return reasonOf(ctx, opsNS, rs.Name, ksv1alpha1.ConditionConnected)
	}

	BeforeAll(func() {
		var err error
		kwds, err = framework.StartAPIServer("kflex-wds", kubestellarCRDs())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(kwds.Stop)
		kwdsClient, err = client.New(kwds.Config, client.Options{Scheme: testScheme()})
		Expect(err).NotTo(HaveOccurred())
		rs.Namespace = opsNS
		DeferCleanup(func(ctx SpecContext) {
			Expect(client.IgnoreNotFound(wdsClient.Delete(ctx, rs))).To(Succeed())
			wdsCP.delete(ctx)
			itsCP.delete(ctx)
		})
	})

	It("accepts one way to name each space, not two", func(ctx SpecContext) {
		both := ksv1alpha1.ClusterRef{
			KubeconfigSecretRef: &ksv1alpha1.SecretKeyRef{Name: "wds-kubeconfig"},
			ControlPlaneRef:     &ksv1alpha1.ControlPlaneRef{Name: "wds1"},
		}
		for _, bad := range []ksv1alpha1.ReportedStateSpec{
			{WDSName: "ok", WDS: both},
			{WDSName: "ok", ITS: both},
			{WDSName: "ok", ITS: ksv1alpha1.ClusterRef{ControlPlaneRef: &ksv1alpha1.ControlPlaneRef{Name: "Not_A_Name"}}},
			{WDSName: "ok", ITS: ksv1alpha1.ClusterRef{ControlPlaneRef: &ksv1alpha1.ControlPlaneRef{}}},
		} {
			bad := &ksv1alpha1.ReportedState{ObjectMeta: metav1.ObjectMeta{Namespace: opsNS, GenerateName: "bad-"}, Spec: bad}
			err := wdsClient.Create(ctx, bad)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "spec %+v: %v", bad.Spec, err)
		}
		err := wdsClient.Create(ctx, &ksv1alpha1.ReportedState{
			ObjectMeta: metav1.ObjectMeta{Namespace: opsNS, GenerateName: "bad-"},
			Spec:       ksv1alpha1.ReportedStateSpec{WDSName: "ok", WDS: both},
		})
		Expect(err).To(MatchError(ContainSubstring("name the cluster one way")))
	})

	It("says which ControlPlane or Secret is missing, and connects once KubeFlex made them", func(ctx SpecContext) {
		Expect(wdsClient.Create(ctx, rs)).To(Succeed())
		Eventually(connected).WithContext(ctx).Should(Equal("False/" + ksv1alpha1.ReasonControlPlaneNotFound))
		Expect(conditionMessage(ctx, rs.Name, ksv1alpha1.ConditionConnected)).To(ContainSubstring(wdsCP.name))

		By("the ControlPlanes exist, but KubeFlex has not reconciled them")
		wdsCP.create(ctx)
		itsCP.create(ctx)
		Eventually(connected).WithContext(ctx).Should(Equal("False/" + ksv1alpha1.ReasonControlPlaneNotReady))

		By("KubeFlex names their Secrets, which are not there yet")
		wdsCP.ready(ctx)
		itsCP.ready(ctx)
		Eventually(connected).WithContext(ctx).Should(Equal("False/" + ksv1alpha1.ReasonControlPlaneSecretUnreadable))
		Expect(conditionMessage(ctx, rs.Name, ksv1alpha1.ConditionConnected)).
			To(ContainSubstring(wdsCP.namespace() + "/" + wdsCP.secret))

		By("the Secrets exist: the operator, outside a pod, reads their key, not their inClusterKey")
		wdsCP.writeSecret(ctx, kubeconfigFor(kwds.Config, kwds.Config.Host))
		itsCP.writeSecret(ctx, kubeconfigFor(its.Config, its.Config.Host))
		Eventually(reasonOf).WithContext(ctx).WithArguments(opsNS, rs.Name, ksv1alpha1.ConditionReady).
			Should(Equal("True/" + ksv1alpha1.ReasonReady))
	})

	It("returns reported state through them", func(ctx SpecContext) {
		ns := "kflex"
		Expect(kwdsClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		wecs := newWECs(ctx, ns, "wec1")
		Expect(kwdsClient.Create(ctx, deployment(ns, "web"))).To(Succeed())
		// Written by hand: what is under test is how the WDS is reached, not where Bindings
		// come from.
		b := &controlv1alpha1.Binding{ObjectMeta: metav1.ObjectMeta{Name: ns}}
		framework.SetBinding(b, wecs, clause{GVR: deploymentsGVR, Namespace: ns, Name: "web", Single: true})
		Expect(kwdsClient.Create(ctx, b)).To(Succeed())
		reportStatus(ctx, wecs[0], origin, deploymentWorkload.ref(ns, "web"), deploymentStatus(2, 2))
		Eventually(func(g Gomega) any {
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(deploymentWorkload.gvk())
			g.Expect(kwdsClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, u)).To(Succeed())
			g.Expect(u.GetLabels()).To(HaveKeyWithValue(kubestellar.LabelExecutingCount, "1"))
			return u.Object["status"]
		}).WithContext(ctx).Should(Equal(deploymentStatus(2, 2)))
		Expect(kwdsClient.Delete(ctx, b)).To(Succeed())
	})

	It("loads no kubeconfig from a ControlPlane's Secret that runs a program, and says so", func(ctx SpecContext) {
		wdsCP.writeSecret(ctx, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/true}}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`))
		Eventually(connected).WithContext(ctx).Should(Equal("False/" + ksv1alpha1.ReasonKubeconfigRefused))

		By("the ControlPlane deleted")
		wdsCP.delete(ctx)
		Eventually(connected).WithContext(ctx).Should(Equal("False/" + ksv1alpha1.ReasonControlPlaneNotFound))
	})
})

// conditionMessage reads the message of a condition of a ReportedState in the operator's
// namespace.
func conditionMessage(ctx context.Context, name, t string) (string, error) {
	rs := &ksv1alpha1.ReportedState{}
	if err := wdsClient.Get(ctx, client.ObjectKey{Namespace: opsNS, Name: name}, rs); err != nil {
		return "", err
	}
	for _, c := range rs.Status.Conditions {
		if c.Type == t {
			return c.Message, nil
		}
	}
	return "", nil
}
