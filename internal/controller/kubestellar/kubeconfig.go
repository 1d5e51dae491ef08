package kubestellar

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kubestellarv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
)

// secretReader reads kubeconfig Secrets of a ReportedState's namespace, when that namespace
// is allowed (allowed empty: any).
type secretReader struct {
	client    client.Reader
	namespace string
	allowed   string
}

// restConfig returns the config of a cluster: local's for the cluster the operator runs in,
// else the kubeconfig in the named Secret. The fingerprint changes when the config does.
func (s secretReader) restConfig(ctx context.Context, ref kubestellarv1alpha1.ClusterRef, local *rest.Config,
) (cfg *rest.Config, fingerprint string, err error) {
	if ref.KubeconfigSecretRef == nil {
		return rest.CopyConfig(local), "local", nil
	}
	if s.allowed != "" && s.namespace != s.allowed {
		return nil, "", fmt.Errorf("the operator reads kubeconfig Secrets only in its own namespace %s: "+
			"create this ReportedState and its Secrets there", s.allowed)
	}
	c, namespace := s.client, s.namespace
	name, key := ref.KubeconfigSecretRef.Name, ref.KubeconfigSecretRef.Key
	if key == "" {
		key = kubestellarv1alpha1.DefaultKubeconfigKey
	}
	var secret corev1.Secret
	if err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &secret); err != nil {
		return nil, "", fmt.Errorf("reading Secret %s: %w", name, err)
	}
	data, ok := secret.Data[key]
	if !ok {
		return nil, "", fmt.Errorf("the Secret %s has no key %q", name, key)
	}
	cfg, err = clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		return nil, "", fmt.Errorf("the kubeconfig in Secret %s, key %q, does not load: %w", name, key, err)
	}
	sum := sha256.Sum256(data)
	return cfg, hex.EncodeToString(sum[:8]), nil
}
