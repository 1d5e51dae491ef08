package servingcert

import (
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
)

// Mode is how a server gets its serving certificate.
type Mode string

const (
	// ModeFiles serves the tls.crt and tls.key mounted in the certificate directory, with
	// controller-runtime's file watcher.
	ModeFiles Mode = "Files"
	// ModeManaged serves a certificate kept in a Secret of the operator's namespace.
	ModeManaged Mode = "Managed"
	// ModeDefault keeps controller-runtime's behavior: a self-signed metrics certificate,
	// and the webhook certificate directory as given.
	ModeDefault Mode = "Default"
)

// The certificate directories controller-runtime uses when none is given.
var (
	DefaultWebhookCertDir = filepath.Join(os.TempDir(), "k8s-webhook-server", "serving-certs")
	DefaultMetricsCertDir = filepath.Join(os.TempDir(), "k8s-metrics-server", "serving-certs")
)

// ChooseMode picks the mode of a server: Files when certDir holds tls.crt and tls.key,
// Managed when the operator's namespace is known, Default otherwise.
func ChooseMode(certDir, namespace string) Mode {
	switch {
	case fileExists(filepath.Join(certDir, corev1.TLSCertKey)) &&
		fileExists(filepath.Join(certDir, corev1.TLSPrivateKeyKey)):
		return ModeFiles
	case namespace != "":
		return ModeManaged
	default:
		return ModeDefault
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
