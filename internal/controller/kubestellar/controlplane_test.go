package kubestellar

import (
	"testing"

	kfv1alpha1 "github.com/kubestellar/kubeflex/api/v1alpha1"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
)

// A ControlPlane's kubeconfig is read as KubeStellar's own controllers read it (pkg/ctrlutil
// of KubeStellar v0.30), and a ControlPlane that is not there yet says so.
func TestControlPlaneSecret(t *testing.T) {
	cp := func(ref *kfv1alpha1.SecretReference, conds ...kfv1alpha1.ControlPlaneCondition) *kfv1alpha1.ControlPlane {
		return &kfv1alpha1.ControlPlane{
			ObjectMeta: metav1.ObjectMeta{Name: "wds1"},
			Status:     kfv1alpha1.ControlPlaneStatus{SecretRef: ref, Conditions: conds},
		}
	}
	k8s := &kfv1alpha1.SecretReference{
		Namespace: "wds1-system", Name: "admin-kubeconfig", Key: "kubeconfig", InClusterKey: "kubeconfig-incluster",
	}
	deleting := cp(k8s)
	now := metav1.Now()
	deleting.DeletionTimestamp = &now
	at := types.NamespacedName{Namespace: "wds1-system", Name: "admin-kubeconfig"}
	for _, tc := range []struct {
		name       string
		cp         *kfv1alpha1.ControlPlane
		inCluster  bool
		wantKey    string
		wantReason string
		wantErr    string
	}{
		{"outside a pod: key", cp(k8s), false, "kubeconfig", "", ""},
		{"in a pod: inClusterKey", cp(k8s), true, "kubeconfig-incluster", "", ""},
		{"type external has no key: inClusterKey outside a pod too", cp(&kfv1alpha1.SecretReference{
			Namespace: "wds1-system", Name: "admin-kubeconfig", InClusterKey: "kubeconfig-incluster",
		}), false, "kubeconfig-incluster", "", ""},
		{"type ocm has no inClusterKey: key in a pod too", cp(&kfv1alpha1.SecretReference{
			Namespace: "wds1-system", Name: "admin-kubeconfig", Key: "kubeconfig",
		}), true, "kubeconfig", "", ""},
		{"no secretRef yet: not ready, with KubeFlex's own reason", cp(nil, kfv1alpha1.ControlPlaneCondition{
			Type: kfv1alpha1.TypeReady, Status: corev1.ConditionFalse, Reason: "Creating", Message: "starting",
		}), false, "", ksv1alpha1.ReasonControlPlaneNotReady, "no kubeconfig Secret yet (status.secretRef); Ready is False, Creating: starting"},
		{"being deleted", deleting, false, "", ksv1alpha1.ReasonControlPlaneNotReady, "is being deleted"},
		{"no key at all", cp(&kfv1alpha1.SecretReference{Namespace: "wds1-system", Name: "admin-kubeconfig"}),
			true, "", ksv1alpha1.ReasonControlPlaneNotReady, "but no key"},
		{"a Secret outside the ControlPlane's namespace is refused", cp(&kfv1alpha1.SecretReference{
			Namespace: "kube-system", Name: "admin-kubeconfig", Key: "kubeconfig",
		}), false, "", ksv1alpha1.ReasonControlPlaneSecretUnreadable, "outside its namespace wds1-system"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			gotAt, key, err := controlPlaneSecret(tc.cp, tc.inCluster)
			if tc.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
				g.Expect(configReason(err)).To(Equal(tc.wantReason))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(gotAt).To(Equal(at))
			g.Expect(key).To(Equal(tc.wantKey))
		})
	}
}
