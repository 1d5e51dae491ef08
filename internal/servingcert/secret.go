package servingcert

import (
	"errors"
	"fmt"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Keys of the serving-certificate Secret besides tls.crt and tls.key.
const (
	// KeyCACert holds the PEM CA certificate that clients trust.
	KeyCACert = "ca.crt"
	// KeyCAKey holds the PEM private key of the CA, so that any replica can renew the serving
	// certificate from the same CA.
	KeyCAKey = "ca.key"
)

// Bundle is what a serving-certificate Secret holds: a CA and a serving certificate it signed.
type Bundle struct {
	CA   *KeyPair
	Leaf *KeyPair
}

// NewBundle makes the Bundle that action asks for: a new CA and serving certificate for
// ActionCreate and ActionRenewCA; a new serving certificate from the current CA of the Secret
// for ActionRenewLeaf; the Secret's own for ActionKeep.
func NewBundle(action Action, secret *corev1.Secret, dnsNames []string, now time.Time) (*Bundle, error) {
	if len(dnsNames) == 0 {
		return nil, errors.New("making serving certificates: no DNS names")
	}
	switch action {
	case ActionKeep:
		return BundleFromSecret(secret)
	case ActionCreate, ActionRenewCA:
		ca, err := NewCA(fmt.Sprintf("%s-ca@%d", dnsNames[0], now.Unix()), now)
		if err != nil {
			return nil, err
		}
		return newBundleFrom(ca, dnsNames, now)
	case ActionRenewLeaf:
		ca, err := ParseKeyPair(secret.Data[KeyCACert], secret.Data[KeyCAKey])
		if err != nil {
			return nil, fmt.Errorf("reading the CA of Secret %s/%s: %w", secret.Namespace, secret.Name, err)
		}
		return newBundleFrom(ca, dnsNames, now)
	}
	return nil, fmt.Errorf("unknown action %q", action)
}

// BundleFromSecret parses the CA and the serving certificate of a Secret.
func BundleFromSecret(secret *corev1.Secret) (*Bundle, error) {
	ca, err := ParseKeyPair(secret.Data[KeyCACert], secret.Data[KeyCAKey])
	if err != nil {
		return nil, fmt.Errorf("reading the CA of Secret %s/%s: %w", secret.Namespace, secret.Name, err)
	}
	leaf, err := ParseKeyPair(secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey])
	if err != nil {
		return nil, fmt.Errorf("reading the serving certificate of Secret %s/%s: %w", secret.Namespace, secret.Name, err)
	}
	return &Bundle{CA: ca, Leaf: leaf}, nil
}

// NewSecret is a kubernetes.io/tls Secret that holds b.
func NewSecret(key types.NamespacedName, b *Bundle) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: key.Namespace,
			Name:      key.Name,
			Labels: map[string]string{
				"app.kubernetes.io/name":       "singleton-operator",
				"app.kubernetes.io/component":  "serving-cert",
				"app.kubernetes.io/managed-by": "singleton-operator",
			},
		},
		Type: corev1.SecretTypeTLS,
		Data: b.data(nil),
	}
}

// data is base with the keys of b set; base is not changed.
func (b *Bundle) data(base map[string][]byte) map[string][]byte {
	data := maps.Clone(base)
	if data == nil {
		data = make(map[string][]byte, 4)
	}
	data[KeyCACert] = b.CA.CertPEM
	data[KeyCAKey] = b.CA.KeyPEM
	data[corev1.TLSCertKey] = b.Leaf.CertPEM
	data[corev1.TLSPrivateKeyKey] = b.Leaf.KeyPEM
	return data
}

func newBundleFrom(ca *KeyPair, dnsNames []string, now time.Time) (*Bundle, error) {
	leaf, err := NewLeaf(ca, dnsNames, now)
	if err != nil {
		return nil, err
	}
	return &Bundle{CA: ca, Leaf: leaf}, nil
}
