package reportedstate

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
)

// reasonOf reads the reason of a ReportedState condition.
func reasonOf(ctx context.Context, namespace, name, t string) (string, error) {
	rs := &ksv1alpha1.ReportedState{}
	if err := wdsClient.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, rs); err != nil {
		return "", err
	}
	if c := meta.FindStatusCondition(rs.Status.Conditions, t); c != nil {
		return string(c.Status) + "/" + c.Reason, nil
	}
	return "", nil
}

var _ = Describe("The ReportedState resource", func() {
	It("is validated by its schema", func(ctx SpecContext) {
		for _, bad := range []ksv1alpha1.ReportedStateSpec{
			{},
			{WDSName: "not a label value"},
			{WDSName: "ok", ITS: ksv1alpha1.ClusterRef{KubeconfigSecretRef: &ksv1alpha1.SecretKeyRef{}}},
			{WDSName: "ok", WDS: ksv1alpha1.ClusterRef{KubeconfigSecretRef: &ksv1alpha1.SecretKeyRef{Name: "Upper_Case"}}},
		} {
			rs := &ksv1alpha1.ReportedState{ObjectMeta: metav1.ObjectMeta{Namespace: opsNS, GenerateName: "bad-"}, Spec: bad}
			err := wdsClient.Create(ctx, rs)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "spec %+v: %v", bad, err)
		}
		rs := &ksv1alpha1.ReportedState{
			ObjectMeta: metav1.ObjectMeta{Namespace: opsNS, GenerateName: "defaults-"},
			Spec: ksv1alpha1.ReportedStateSpec{
				WDSName: "wds9",
				ITS:     ksv1alpha1.ClusterRef{KubeconfigSecretRef: &ksv1alpha1.SecretKeyRef{Name: "absent"}},
			},
		}
		Expect(wdsClient.Create(ctx, rs)).To(Succeed())
		DeferCleanup(func(ctx SpecContext) { Expect(wdsClient.Delete(ctx, rs)).To(Succeed()) })
		Expect(rs.Spec.ITS.KubeconfigSecretRef.Key).To(Equal("kubeconfig"), "the key defaults to kubeconfig")

		By("reporting the missing Secret")
		Eventually(reasonOf).WithContext(ctx).WithArguments(opsNS, rs.Name, ksv1alpha1.ConditionConnected).
			Should(Equal("False/" + ksv1alpha1.ReasonKubeconfigInvalid))
		Expect(reasonOf(ctx, opsNS, rs.Name, ksv1alpha1.ConditionReady)).To(HavePrefix("False/"))
	})

	It("is served only in the operator's namespace, and loads no kubeconfig that runs a program or reads a file",
		func(ctx SpecContext) {
			By("refusing a ReportedState of another namespace, even one that names no Secret")
			tenant := newNamespace(ctx)
			elsewhere := &ksv1alpha1.ReportedState{
				ObjectMeta: metav1.ObjectMeta{Namespace: tenant, Name: "mine"},
				Spec:       ksv1alpha1.ReportedStateSpec{WDSName: "tenant"},
			}
			Expect(wdsClient.Create(ctx, elsewhere)).To(Succeed())
			DeferCleanup(func(ctx SpecContext) { Expect(wdsClient.Delete(ctx, elsewhere)).To(Succeed()) })
			Eventually(reasonOf).WithContext(ctx).WithArguments(tenant, elsewhere.Name, ksv1alpha1.ConditionConnected).
				Should(Equal("False/" + ksv1alpha1.ReasonNamespaceNotServed))

			By("refusing a kubeconfig with an exec plugin, in the operator's namespace")
			kc, err := clientcmd.Load(kubeconfigFor(wds.Config, wds.Config.Host))
			Expect(err).NotTo(HaveOccurred())
			kc.AuthInfos["plugin"] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
				APIVersion: "client.authentication.k8s.io/v1", Command: "/bin/true",
			}}
			data, err := clientcmd.Write(*kc)
			Expect(err).NotTo(HaveOccurred())
			Expect(wdsClient.Create(ctx, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Namespace: opsNS, Name: "exec-wds"},
				Data:       map[string][]byte{"kubeconfig": data},
			})).To(Succeed())
			rs := &ksv1alpha1.ReportedState{
				ObjectMeta: metav1.ObjectMeta{Namespace: opsNS, Name: "exec-wds"},
				Spec: ksv1alpha1.ReportedStateSpec{
					WDSName: "exec",
					WDS:     ksv1alpha1.ClusterRef{KubeconfigSecretRef: &ksv1alpha1.SecretKeyRef{Name: "exec-wds"}},
				},
			}
			Expect(wdsClient.Create(ctx, rs)).To(Succeed())
			DeferCleanup(func(ctx SpecContext) { Expect(wdsClient.Delete(ctx, rs)).To(Succeed()) })
			Eventually(reasonOf).WithContext(ctx).WithArguments(opsNS, rs.Name, ksv1alpha1.ConditionConnected).
				Should(Equal("False/" + ksv1alpha1.ReasonKubeconfigRefused))
		})

	It("says Connected=False while its ITS does not answer, and writes nothing", func(ctx SpecContext) {
		Expect(wdsClient.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: opsNS, Name: "dead-its"},
			Data:       map[string][]byte{"config": kubeconfigFor(its.Config, "https://127.0.0.1:1")},
		})).To(Succeed())
		rs := &ksv1alpha1.ReportedState{
			ObjectMeta: metav1.ObjectMeta{Namespace: opsNS, Name: "dead-its"},
			Spec: ksv1alpha1.ReportedStateSpec{
				WDSName: "dead",
				// The WDS is the cluster the operator runs in.
				ITS: ksv1alpha1.ClusterRef{KubeconfigSecretRef: &ksv1alpha1.SecretKeyRef{Name: "dead-its", Key: "config"}},
			},
		}
		Expect(wdsClient.Create(ctx, rs)).To(Succeed())
		DeferCleanup(func(ctx SpecContext) { Expect(wdsClient.Delete(ctx, rs)).To(Succeed()) })
		Eventually(reasonOf).WithContext(ctx).WithArguments(opsNS, rs.Name, ksv1alpha1.ConditionConnected).
			Should(Equal("False/" + ksv1alpha1.ReasonITSUnreachable))
		Expect(reasonOf(ctx, opsNS, rs.Name, ksv1alpha1.ConditionSynced)).To(HavePrefix("False/"))

		By("printing its state in kubectl get")
		out, err := kubectl(ctx, kubeconfig, "get", "rst", "-n", opsNS, rs.Name)
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(tableRow(firstTwoLines(out))).To(And(
			HaveKeyWithValue("WDS", "dead"), HaveKeyWithValue("ITS", "dead-its"),
			HaveKeyWithValue("CONNECTED", "False"), HaveKeyWithValue("SYNCED", "False"),
		))
	})
})

func firstTwoLines(out string) (string, string) {
	GinkgoHelper()
	lines := splitLines(out)
	Expect(len(lines)).To(BeNumerically(">=", 2), out)
	return lines[0], lines[1]
}
