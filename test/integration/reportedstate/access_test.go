package reportedstate

import (
	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
	"github.com/singleton-operator/singleton-operator/test/framework"
)

// A WDS whose credentials cannot list a kind that a Binding asks for: no worker waits on it for
// ever, the other objects keep their reported state, and the ReportedState says which
// resource (issue: a WorkStatus naming an unlistable kind froze the whole ReportedState while
// it said Synced and Ready).
var _ = Describe("A WDS whose credentials cannot list every kind asked for", func() {
	It("serves the other objects, names the resource in Synced, and recovers once allowed", func(ctx SpecContext) {
		By("starting a WDS of its own, and a user there who may not read ConfigMaps")
		lim, err := framework.StartAPIServer("limited-wds", "config/crd/bases", kubestellarCRDs())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(lim.Stop)
		limClient, err := client.New(lim.Config, client.Options{Scheme: testScheme()})
		Expect(err).NotTo(HaveOccurred())
		user, err := lim.Env.AddUser(envtest.User{Name: "limited"}, nil)
		Expect(err).NotTo(HaveOccurred())
		all := []string{"*"}
		role := &rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: "limited"},
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{"apps", "control.kubestellar.io"}, Resources: all, Verbs: all},
				{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "list", "watch"}},
			},
		}
		Expect(limClient.Create(ctx, role)).To(Succeed())
		Expect(limClient.Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "limited"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "limited"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "limited"}},
		})).To(Succeed())
		userCfg := user.Config()

		ns := "limited"
		Expect(limClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		Expect(limClient.Create(ctx, deployment(ns, "d"))).To(Succeed())
		Expect(limClient.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cm"}})).To(Succeed())
		wecs := newWECs(ctx, newNamespace(ctx), "wec1")
		// Written by hand: this WDS of its own has no KubeStellar binding controller (the
		// suite's serves the suite's WDS only).
		b := &controlv1alpha1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "limited"}}
		framework.SetBinding(b, wecs,
			clause{GVR: deploymentsGVR, Namespace: ns, Name: "d", Single: true},
			clause{GVR: configMapsGVR, Namespace: ns, Name: "cm", Single: true})
		Expect(limClient.Create(ctx, b)).To(Succeed())

		By("reporting both objects from the WEC, the ConfigMap first")
		const origin = "limited"
		reportStatus(ctx, wecs[0], origin, sourceRef{gvr: configMapsGVR, kind: "ConfigMap", namespace: ns, name: "cm"},
			map[string]any{"seen": true})
		reportStatus(ctx, wecs[0], origin, sourceRef{gvr: deploymentsGVR, kind: "Deployment", namespace: ns, name: "d"},
			deploymentStatus(1, 1))

		By("pointing a ReportedState at that WDS with the limited user's credentials")
		Expect(wdsClient.Create(ctx, kubeconfigSecret(opsNS, "limited-wds", userCfg, userCfg.Host))).To(Succeed())
		rs := &ksv1alpha1.ReportedState{
			ObjectMeta: metav1.ObjectMeta{Namespace: opsNS, Name: "limited"},
			Spec: ksv1alpha1.ReportedStateSpec{
				WDSName: origin,
				WDS:     ksv1alpha1.ClusterRef{KubeconfigSecretRef: &ksv1alpha1.SecretKeyRef{Name: "limited-wds"}},
				ITS:     ksv1alpha1.ClusterRef{KubeconfigSecretRef: &ksv1alpha1.SecretKeyRef{Name: "its-kubeconfig"}},
			},
		}
		Expect(wdsClient.Create(ctx, rs)).To(Succeed())
		DeferCleanup(func(ctx SpecContext) { Expect(wdsClient.Delete(ctx, rs)).To(Succeed()) })

		By("returning the Deployment's status")
		Eventually(func(g Gomega) map[string]any {
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(deploymentsGVR.GroupVersion().WithKind("Deployment"))
			g.Expect(limClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "d"}, u)).To(Succeed())
			st, _ := u.Object["status"].(map[string]any)
			return st
		}).WithContext(ctx).Should(HaveKeyWithValue("availableReplicas", BeNumerically("==", 1)))

		By("saying Synced=False, naming configmaps")
		Eventually(func(g Gomega) string {
			got := &ksv1alpha1.ReportedState{}
			g.Expect(wdsClient.Get(ctx, client.ObjectKeyFromObject(rs), got)).To(Succeed())
			for _, c := range got.Status.Conditions {
				if c.Type == ksv1alpha1.ConditionSynced {
					return string(c.Status) + "/" + c.Reason + ": " + c.Message
				}
			}
			return ""
		}).WithContext(ctx).Should(And(HavePrefix("False/"+ksv1alpha1.ReasonCannotWatch), ContainSubstring("configmaps")))

		By("returning the ConfigMap's state once the user may read ConfigMaps")
		role.Rules = append(role.Rules, rbacv1.PolicyRule{
			APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: all,
		})
		Expect(limClient.Update(ctx, role)).To(Succeed())
		Eventually(func(g Gomega) string {
			cm := &corev1.ConfigMap{}
			g.Expect(limClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cm"}, cm)).To(Succeed())
			return cm.Labels["kubestellar.io/executing-count"]
		}).WithContext(ctx).Should(Equal("1"))
		Eventually(reasonOf).WithContext(ctx).WithArguments(opsNS, rs.Name, ksv1alpha1.ConditionSynced).
			Should(Equal("True/" + ksv1alpha1.ReasonSynced))
	})
})
