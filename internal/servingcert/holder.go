package servingcert

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
)

// Holder holds the certificate a TLS server serves, in memory, and lets it be swapped while
// the server runs.
type Holder struct {
	mu   sync.RWMutex
	cert *tls.Certificate
	ca   []byte
	// caChanged has room for one signal: a pending one stands for any number of changes.
	caChanged chan struct{}
}

// NewHolder returns a Holder with no certificate yet.
func NewHolder() *Holder {
	return &Holder{caChanged: make(chan struct{}, 1)}
}

// GetCertificate returns the current certificate; it is the tls.Config callback.
func (h *Holder) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.cert == nil {
		return nil, errors.New("no serving certificate loaded yet")
	}
	return h.cert, nil
}

// TLSOpt makes a server serve the certificate of h, for webhook.Options.TLSOpts and
// metricsserver.Options.TLSOpts. With GetCertificate set, controller-runtime does not watch
// certificate files.
func (h *Holder) TLSOpt() func(*tls.Config) {
	return func(c *tls.Config) { c.GetCertificate = h.GetCertificate }
}

// CA returns the PEM CA certificate that signed the current certificate, or nil.
func (h *Holder) CA() []byte {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.ca
}

// CAChanged receives a value after the CA changed, including when the first one is loaded.
// It is meant for one receiver.
func (h *Holder) CAChanged() <-chan struct{} {
	return h.caChanged
}

// Set makes b the served certificate.
func (h *Holder) Set(b *Bundle) error {
	cert, err := tls.X509KeyPair(b.Leaf.CertPEM, b.Leaf.KeyPEM)
	if err != nil {
		return fmt.Errorf("loading the serving certificate: %w", err)
	}
	cert.Leaf = b.Leaf.Cert
	h.mu.Lock()
	changed := !bytes.Equal(h.ca, b.CA.CertPEM)
	h.cert, h.ca = &cert, b.CA.CertPEM
	h.mu.Unlock()
	if changed {
		select {
		case h.caChanged <- struct{}{}:
		default:
		}
	}
	return nil
}
