package servingcert

import (
	"crypto/tls"
	"testing"

	. "github.com/onsi/gomega"
)

func TestHolder(t *testing.T) {
	g := NewWithT(t)
	h := NewHolder()
	_, err := h.GetCertificate(nil)
	g.Expect(err).To(MatchError(ContainSubstring("no serving certificate")))
	g.Expect(h.CA()).To(BeNil())
	g.Expect(h.CAChanged()).NotTo(Receive())

	first, err := NewBundle(ActionCreate, nil, testNames, testNow)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(h.Set(first)).To(Succeed())
	cert, err := h.GetCertificate(nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cert.Leaf.Equal(first.Leaf.Cert)).To(BeTrue())
	g.Expect(h.CA()).To(Equal(first.CA.CertPEM))
	g.Expect(h.CAChanged()).To(Receive(), "the first CA is a change")

	renewed, err := NewBundle(ActionRenewLeaf, NewSecret(testKey, first), testNames, testNow)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(h.Set(renewed)).To(Succeed())
	cert, err = h.GetCertificate(nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cert.Leaf.Equal(renewed.Leaf.Cert)).To(BeTrue())
	g.Expect(h.CAChanged()).NotTo(Receive(), "a renewed serving certificate keeps the CA")

	second, err := NewBundle(ActionRenewCA, nil, testNames, testNow)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(h.Set(second)).To(Succeed())
	g.Expect(h.Set(first)).To(Succeed())
	g.Expect(h.CA()).To(Equal(first.CA.CertPEM))
	g.Expect(h.CAChanged()).To(Receive(), "two changes leave one signal")
	g.Expect(h.CAChanged()).NotTo(Receive())
}

func TestHolderTLSOpt(t *testing.T) {
	g := NewWithT(t)
	h := NewHolder()
	b, err := NewBundle(ActionCreate, nil, testNames, testNow)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(h.Set(b)).To(Succeed())
	cfg := &tls.Config{}
	h.TLSOpt()(cfg)
	cert, err := cfg.GetCertificate(&tls.ClientHelloInfo{ServerName: testNames[2]})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cert.Leaf.Equal(b.Leaf.Cert)).To(BeTrue())
}
