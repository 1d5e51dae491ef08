package kubestellar

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	kfv1alpha1 "github.com/kubestellar/kubeflex/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	ksv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
)

// kubeflexSecretNames are the names KubeFlex v0.9 gives the kubeconfig Secret of a ControlPlane,
// always in the ControlPlane's namespace <name>-system: admin-kubeconfig (types k8s, host and
// external), multicluster-controlplane-kubeconfig (ocm), vc-vcluster (vcluster) and k3s-config
// (k3s). The operator's ClusterRole may get Secrets of these names and no other, and may neither
// list nor watch them (docs/reported-state.md, "KubeFlex").
var kubeflexSecretNames = []string{
	"admin-kubeconfig", "multicluster-controlplane-kubeconfig", "vc-vcluster", "k3s-config",
}

// +kubebuilder:rbac:groups=tenancy.kflex.kubestellar.org,resources=controlplanes,verbs=get
// +kubebuilder:rbac:groups="",resources=secrets,resourceNames=admin-kubeconfig;multicluster-controlplane-kubeconfig;vc-vcluster;k3s-config,verbs=get

// controlPlaneSecret says which Secret and key hold the kubeconfig of a KubeFlex ControlPlane,
// as KubeStellar's own controllers choose (pkg/ctrlutil of KubeStellar v0.30): the Secret
// status.secretRef names, key inClusterKey when the reader runs in a pod, else key. Where
// KubeFlex leaves the chosen key empty (key for type external, inClusterKey for type ocm), the
// other one is read. The Secret must be in the ControlPlane's own namespace, where KubeFlex
// keeps it: a status that points elsewhere is refused.
func controlPlaneSecret(cp *kfv1alpha1.ControlPlane, inCluster bool) (types.NamespacedName, string, error) {
	notReady := func(format string, args ...any) (types.NamespacedName, string, error) {
		return types.NamespacedName{}, "", &configError{ksv1alpha1.ReasonControlPlaneNotReady,
			fmt.Errorf("the KubeFlex ControlPlane %s "+format, append([]any{cp.Name}, args...)...)}
	}
	if !cp.DeletionTimestamp.IsZero() {
		return notReady("is being deleted")
	}
	ref := cp.Status.SecretRef
	if ref == nil || ref.Name == "" {
		why := "names no kubeconfig Secret yet (status.secretRef)"
		for _, c := range cp.Status.Conditions {
			if c.Type == kfv1alpha1.TypeReady && c.Status != corev1.ConditionTrue {
				why += fmt.Sprintf("; Ready is %s, %s: %s", c.Status, c.Reason, c.Message)
			}
		}
		return notReady("%s", why)
	}
	if want := cp.Name + "-system"; ref.Namespace != want {
		return types.NamespacedName{}, "", &configError{ksv1alpha1.ReasonControlPlaneSecretUnreadable, fmt.Errorf(
			"the KubeFlex ControlPlane %s names the Secret %s/%s, outside its namespace %s where KubeFlex keeps it; "+
				"refused", cp.Name, ref.Namespace, ref.Name, want)}
	}
	first, second := ref.Key, ref.InClusterKey
	if inCluster {
		first, second = second, first
	}
	if first == "" {
		first = second
	}
	if first == "" {
		return notReady("names the Secret %s/%s but no key in it", ref.Namespace, ref.Name)
	}
	return types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, first, nil
}

// controlPlaneConfig reads the kubeconfig of the KubeFlex ControlPlane name, straight from the
// API (the manager's cache holds no ControlPlane, and Secrets of the operator's namespace only).
func (s secretReader) controlPlaneConfig(ctx context.Context, name string) (*rest.Config, string, error) {
	var cp kfv1alpha1.ControlPlane
	if err := s.direct.Get(ctx, types.NamespacedName{Name: name}, &cp); err != nil {
		why := err.Error()
		if meta.IsNoMatchError(err) {
			why = "KubeFlex's ControlPlane CRD (tenancy.kflex.kubestellar.org) is not installed " +
				"in the cluster the operator runs in"
		}
		return nil, "", &configError{ksv1alpha1.ReasonControlPlaneNotFound,
			fmt.Errorf("reading the KubeFlex ControlPlane %s: %s", name, why)}
	}
	at, key, err := controlPlaneSecret(&cp, s.inCluster)
	if err != nil {
		return nil, "", err
	}
	unreadable := func(format string, args ...any) (*rest.Config, string, error) {
		return nil, "", &configError{ksv1alpha1.ReasonControlPlaneSecretUnreadable, fmt.Errorf(
			"the kubeconfig Secret %s of the KubeFlex ControlPlane %s: "+format, append([]any{at, name}, args...)...)}
	}
	var secret corev1.Secret
	if err := s.direct.Get(ctx, at, &secret); err != nil {
		if apierrors.IsForbidden(err) {
			return unreadable("the operator may read only Secrets named %s: %v", strings.Join(kubeflexSecretNames, ", "), err)
		}
		return unreadable("%v", err)
	}
	data, ok := secret.Data[key]
	if !ok {
		return unreadable("has no key %q", key)
	}
	cfg, err := inertConfig(data)
	if err != nil {
		return nil, "", fmt.Errorf("the kubeconfig of the KubeFlex ControlPlane %s (Secret %s, key %q): %w",
			name, at, key, err)
	}
	sum := sha256.Sum256(data)
	return cfg, "cp:" + hex.EncodeToString(sum[:8]), nil
}
