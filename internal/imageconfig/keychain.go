package imageconfig

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	k8schain "github.com/google/go-containerregistry/pkg/authn/kubernetes"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// PullKeychain returns the credentials the kubelet would pull the pod's images with, as far as
// the API holds them: the pod's imagePullSecrets, read from its namespace. Those include its
// service account's, which the ServiceAccount admission plugin copies into a pod that names
// none, before any webhook sees it. A secret that does not exist is skipped, as the kubelet
// skips it; credentials the node has of its own (a credential provider plugin, the kubelet's
// config.json) are not known here, so an image readable only with them is not resolved.
// reader should read past the manager's cache (a Get of one Secret), so that the operator
// neither lists nor watches Secrets. A Secret the reader may not read is skipped too, and named
// in forbidden: the image is then read without it (anonymously when it was the only one).
func PullKeychain(ctx context.Context, reader client.Reader, namespace string,
	refs []corev1.LocalObjectReference,
) (keychain authn.Keychain, forbidden []string, err error) {
	secrets := make([]corev1.Secret, 0, len(refs))
	for _, ref := range refs {
		if ref.Name == "" {
			continue
		}
		s := corev1.Secret{}
		if err := reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: ref.Name}, &s); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			if apierrors.IsForbidden(err) {
				forbidden = append(forbidden, ref.Name)
				continue
			}
			return nil, forbidden, fmt.Errorf("reading the pull secret %s/%s: %w", namespace, ref.Name, err)
		}
		secrets = append(secrets, s)
	}
	if len(secrets) == 0 {
		return authn.NewMultiKeychain(), forbidden, nil
	}
	kc, err := k8schain.NewFromPullSecrets(ctx, secrets)
	if err != nil {
		return nil, forbidden, fmt.Errorf("reading the pull secrets of namespace %s: %w", namespace, err)
	}
	return kc, forbidden, nil
}
