package kubestellar

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kubestellarv1alpha1 "github.com/singleton-operator/singleton-operator/api/kubestellar/v1alpha1"
)

// configError is why a ReportedState's clusters are not reached, with the condition reason
// that says so.
type configError struct {
	reason string
	err    error
}

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

// configReason is the condition and event reason of an error of restConfig.
func configReason(err error) string {
	if ce, ok := errors.AsType[*configError](err); ok {
		return ce.reason
	}
	return kubestellarv1alpha1.ReasonKubeconfigInvalid
}

// secretReader reads kubeconfig Secrets of a ReportedState's namespace. When allowed is set
// (the operator's namespace, in a deployed operator), it serves ReportedStates of that
// namespace only: a ReportedState acts with the operator's credentials on the clusters it names
// (its own cluster-wide ones when it names no Secret), so pointing the operator at a cluster is
// for those who may write in the operator's namespace, as a ClusterIssuer is for cert-manager
// (docs/design.md, R5). allowed empty (make run): any namespace. KubeFlex ControlPlanes and
// their Secrets are read through direct, which reads from the API, not from a cache; inCluster
// (the operator runs in a pod) chooses the key of their Secrets.
type secretReader struct {
	client    client.Reader
	direct    client.Reader
	namespace string
	allowed   string
	inCluster bool
}

// restConfig returns the config of a cluster: local's for the cluster the operator runs in,
// else the kubeconfig in the named Secret, or the named KubeFlex ControlPlane's. The
// fingerprint changes when the config does.
func (s secretReader) restConfig(ctx context.Context, ref kubestellarv1alpha1.ClusterRef, local *rest.Config,
) (cfg *rest.Config, fingerprint string, err error) {
	if s.allowed != "" && s.namespace != s.allowed {
		return nil, "", &configError{kubestellarv1alpha1.ReasonNamespaceNotServed, fmt.Errorf(
			"a ReportedState acts with the operator's credentials, so only ReportedStates in the "+
				"operator's namespace %s are served: create it and its kubeconfig Secrets there", s.allowed)}
	}
	if ref.ControlPlaneRef != nil {
		return s.controlPlaneConfig(ctx, ref.ControlPlaneRef.Name)
	}
	if ref.KubeconfigSecretRef == nil {
		return rest.CopyConfig(local), "local", nil
	}
	name, key := ref.KubeconfigSecretRef.Name, ref.KubeconfigSecretRef.Key
	if key == "" {
		key = kubestellarv1alpha1.DefaultKubeconfigKey
	}
	var secret corev1.Secret
	if err := s.client.Get(ctx, types.NamespacedName{Namespace: s.namespace, Name: name}, &secret); err != nil {
		return nil, "", fmt.Errorf("reading Secret %s: %w", name, err)
	}
	data, ok := secret.Data[key]
	if !ok {
		return nil, "", fmt.Errorf("the Secret %s has no key %q", name, key)
	}
	cfg, err = inertConfig(data)
	if err != nil {
		return nil, "", fmt.Errorf("the kubeconfig in Secret %s, key %q: %w", name, key, err)
	}
	sum := sha256.Sum256(data)
	return cfg, hex.EncodeToString(sum[:8]), nil
}

// inertConfig loads a kubeconfig that can make the operator neither run a program nor read a
// file: exec and auth-provider plugins, tokenFile, and certificate, key and CA paths are
// refused, in every entry, not only the current context's (docs/design.md, R5). Credentials
// and certificates must be inline (token, client-certificate-data, certificate-authority-data).
func inertConfig(data []byte) (*rest.Config, error) {
	raw, err := clientcmd.Load(data)
	if err != nil {
		return nil, fmt.Errorf("does not load: %w", err)
	}
	if found := localEffects(raw); len(found) > 0 {
		return nil, &configError{kubestellarv1alpha1.ReasonKubeconfigRefused, fmt.Errorf(
			"refused, since it would make the operator run a program or read a file: %s; "+
				"put credentials and certificates inline (token, *-data fields)", strings.Join(found, ", "))}
	}
	cfg, err := clientcmd.NewDefaultClientConfig(*raw, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("does not load: %w", err)
	}
	return cfg, nil
}

// localEffects lists the fields of a kubeconfig that run a program or read a file, sorted.
func localEffects(c *clientcmdapi.Config) []string {
	var found []string
	for name, a := range c.AuthInfos {
		for field, set := range map[string]bool{
			"exec": a.Exec != nil, "auth-provider": a.AuthProvider != nil, "tokenFile": a.TokenFile != "",
			"client-certificate": a.ClientCertificate != "", "client-key": a.ClientKey != "",
		} {
			if set {
				found = append(found, fmt.Sprintf("user %q sets %s", name, field))
			}
		}
	}
	for name, cl := range c.Clusters {
		if cl.CertificateAuthority != "" {
			found = append(found, fmt.Sprintf("cluster %q sets certificate-authority", name))
		}
	}
	slices.Sort(found)
	return found
}
