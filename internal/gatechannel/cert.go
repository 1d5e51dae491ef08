package gatechannel

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// ErrNoCA is returned while the CA that signed the serving certificate is not known: the gates
// cannot pin it, so the webhook gives no pod the channel.
var ErrNoCA = errors.New("the CA of the serving certificate is not known")

// Certificates serves the channel the webhook server's certificate, with the CA that signed it
// appended to the chain: the gate trusts only a presented certificate whose SHA-256 it was given
// (gatewire.FlagCASHA256). It works with the certificate the operator makes (servingcert,
// Managed mode: Leaf and CA from its Holder) and with mounted files (OLM, cert-manager: FileLeaf,
// and the CA from the files or the webhook configuration's caBundle).
type Certificates struct {
	// Leaf returns the serving certificate (its chain as served by the webhook server).
	Leaf func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	// CA returns the PEM of the CA that signed it; nil or empty while unknown.
	CA func() []byte

	mu     sync.Mutex
	leaf   *tls.Certificate
	caPEM  []byte
	served *tls.Certificate
}

// GetCertificate is the tls.Config callback.
func (c *Certificates) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	leaf, err := c.Leaf(hello)
	if err != nil {
		return nil, err
	}
	caPEM := c.CA()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.served != nil && c.leaf == leaf && bytes.Equal(c.caPEM, caPEM) {
		return c.served, nil
	}
	served := *leaf
	served.Certificate = append([][]byte(nil), leaf.Certificate...)
	if der, err := caDER(caPEM); err == nil && !containsDER(served.Certificate, der) {
		served.Certificate = append(served.Certificate, der)
	}
	c.leaf, c.caPEM, c.served = leaf, caPEM, &served
	return &served, nil
}

// CASHA256 is the hex SHA-256 of the CA's DER, for gatewire.FlagCASHA256.
func (c *Certificates) CASHA256() (string, error) {
	der, err := caDER(c.CA())
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// ServerName is the name the gates check the certificate against: the first of its DNS names
// that ends in ".svc" (a Service's name in its namespace), else its first DNS name.
func (c *Certificates) ServerName() (string, error) {
	leaf, err := c.Leaf(&tls.ClientHelloInfo{})
	if err != nil {
		return "", err
	}
	cert := leaf.Leaf
	if cert == nil {
		if len(leaf.Certificate) == 0 {
			return "", errors.New("the serving certificate is empty")
		}
		if cert, err = x509.ParseCertificate(leaf.Certificate[0]); err != nil {
			return "", fmt.Errorf("parsing the serving certificate: %w", err)
		}
	}
	for _, name := range cert.DNSNames {
		if strings.HasSuffix(name, ".svc") {
			return name, nil
		}
	}
	if len(cert.DNSNames) == 0 {
		return "", errors.New("the serving certificate names no DNS name")
	}
	return cert.DNSNames[0], nil
}

// caDER returns the DER of the last CA certificate in pemBytes.
func caDER(pemBytes []byte) ([]byte, error) {
	var found []byte
	for rest := pemBytes; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if cert, err := x509.ParseCertificate(block.Bytes); err == nil && cert.IsCA {
			found = block.Bytes
		}
	}
	if found == nil {
		return nil, ErrNoCA
	}
	return found, nil
}

func containsDER(chain [][]byte, der []byte) bool {
	for _, c := range chain {
		if bytes.Equal(c, der) {
			return true
		}
	}
	return false
}

// FileLeaf serves tls.crt and tls.key of dir, read again when either file changes.
func FileLeaf(dir string) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	var (
		mu      sync.Mutex
		cert    *tls.Certificate
		modTime time.Time
	)
	certFile, keyFile := filepath.Join(dir, corev1.TLSCertKey), filepath.Join(dir, corev1.TLSPrivateKeyKey)
	return func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		mu.Lock()
		defer mu.Unlock()
		latest := time.Time{}
		for _, f := range []string{certFile, keyFile} {
			info, err := os.Stat(f)
			if err != nil {
				return nil, fmt.Errorf("reading the serving certificate: %w", err)
			}
			if info.ModTime().After(latest) {
				latest = info.ModTime()
			}
		}
		if cert != nil && latest.Equal(modTime) {
			return cert, nil
		}
		loaded, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("loading the serving certificate: %w", err)
		}
		cert, modTime = &loaded, latest
		return cert, nil
	}
}

// FileCA returns the CA found with the certificate files of dir: a CA certificate in tls.crt
// after the leaf, else ca.crt (cert-manager's Secrets); else fallback(), say the caBundle of
// the webhook configuration that OLM fills.
func FileCA(dir string, fallback func() []byte) func() []byte {
	return func() []byte {
		for _, name := range []string{corev1.TLSCertKey, corev1.ServiceAccountRootCAKey} {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				if _, err := caDER(b); err == nil {
					return b
				}
			}
		}
		if fallback != nil {
			return fallback()
		}
		return nil
	}
}
