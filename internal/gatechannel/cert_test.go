package gatechannel

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/singleton-operator/singleton-operator/internal/servingcert"
)

func TestCertificatesServeTheCA(t *testing.T) {
	g := NewWithT(t)
	ca, err := servingcert.NewCA("test CA", time.Now())
	g.Expect(err).NotTo(HaveOccurred())
	leaf, err := servingcert.NewLeaf(ca, servingcert.ServiceDNSNames("op-webhook", "op-system"), time.Now())
	g.Expect(err).NotTo(HaveOccurred())
	holder := servingcert.NewHolder()
	c := &Certificates{Leaf: holder.GetCertificate, CA: holder.CA}
	_, err = c.CASHA256()
	g.Expect(err).To(MatchError(ErrNoCA), "no CA before the certificate is loaded")
	g.Expect(holder.Set(&servingcert.Bundle{CA: ca, Leaf: leaf})).To(Succeed())

	served, err := c.GetCertificate(&tls.ClientHelloInfo{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(served.Certificate).To(HaveLen(2))
	g.Expect(served.Certificate[1]).To(Equal(ca.Cert.Raw), "the CA follows the leaf, for the gate to pin")
	again, _ := c.GetCertificate(&tls.ClientHelloInfo{})
	g.Expect(again).To(BeIdenticalTo(served), "built once per certificate")

	sum := sha256.Sum256(ca.Cert.Raw)
	g.Expect(c.CASHA256()).To(Equal(hex.EncodeToString(sum[:])))
	g.Expect(c.ServerName()).To(Equal("op-webhook.op-system.svc"))

	dir := t.TempDir()
	g.Expect(os.WriteFile(filepath.Join(dir, "tls.crt"), leaf.CertPEM, 0o600)).To(Succeed())
	g.Expect(os.WriteFile(filepath.Join(dir, "tls.key"), leaf.KeyPEM, 0o600)).To(Succeed())
	files := &Certificates{Leaf: FileLeaf(dir), CA: FileCA(dir, func() []byte { return ca.CertPEM })}
	g.Expect(files.CASHA256()).To(Equal(hex.EncodeToString(sum[:])), "a leaf-only tls.crt: the CA from the fallback")
	g.Expect(files.ServerName()).To(Equal("op-webhook.op-system.svc"))
	g.Expect(os.WriteFile(filepath.Join(dir, "ca.crt"), ca.CertPEM, 0o600)).To(Succeed())
	g.Expect(FileCA(dir, nil)()).To(Equal(ca.CertPEM), "ca.crt beside the files, as cert-manager writes it")
	served, err = files.GetCertificate(&tls.ClientHelloInfo{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(served.Certificate).To(HaveLen(2))
}
