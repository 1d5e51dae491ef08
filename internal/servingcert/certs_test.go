package servingcert

import (
	"crypto/x509"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"
)

var (
	testNow   = time.Date(2030, time.March, 1, 12, 0, 0, 0, time.UTC)
	testNames = ServiceDNSNames("svc", "ns")
	testKey   = types.NamespacedName{Namespace: "ns", Name: "cert"}
)

func TestServiceDNSNames(t *testing.T) {
	g := NewWithT(t)
	g.Expect(ServiceDNSNames("svc", "ns")).To(Equal([]string{"svc", "svc.ns", "svc.ns.svc", "svc.ns.svc.cluster.local"}))
}

func TestNewCA(t *testing.T) {
	g := NewWithT(t)
	ca, err := NewCA("test-ca", testNow)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ca.Cert.IsCA).To(BeTrue())
	g.Expect(ca.Cert.Subject.CommonName).To(Equal("test-ca"))
	g.Expect(ca.Cert.NotBefore).To(Equal(testNow.Add(-backdate)))
	g.Expect(ca.Cert.NotAfter).To(Equal(testNow.Add(CAValidity)))
	g.Expect(ca.Cert.CheckSignatureFrom(ca.Cert)).To(Succeed(), "self-signed")

	parsed, err := ParseKeyPair(ca.CertPEM, ca.KeyPEM)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(parsed.Cert.Equal(ca.Cert)).To(BeTrue())
}

func TestNewLeaf(t *testing.T) {
	g := NewWithT(t)
	ca, err := NewCA("test-ca", testNow)
	g.Expect(err).NotTo(HaveOccurred())
	leaf, err := NewLeaf(ca, testNames, testNow)
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(leaf.Cert.IsCA).To(BeFalse())
	g.Expect(leaf.Cert.DNSNames).To(Equal(testNames))
	g.Expect(leaf.Cert.ExtKeyUsage).To(ConsistOf(x509.ExtKeyUsageServerAuth))
	g.Expect(leaf.Cert.NotAfter).To(Equal(testNow.Add(LeafValidity)))
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	for _, name := range testNames {
		_, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: name, CurrentTime: testNow})
		g.Expect(err).NotTo(HaveOccurred(), "verifies for %s", name)
	}
	_, err = ParseKeyPair(leaf.CertPEM, leaf.KeyPEM)
	g.Expect(err).NotTo(HaveOccurred())
}

func TestNewLeafEndsWithItsCA(t *testing.T) {
	g := NewWithT(t)
	ca, err := NewCA("test-ca", testNow)
	g.Expect(err).NotTo(HaveOccurred())
	late := ca.Cert.NotAfter.Add(-30 * 24 * time.Hour)
	leaf, err := NewLeaf(ca, testNames, late)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(leaf.Cert.NotAfter).To(Equal(ca.Cert.NotAfter))
}

func TestNewLeafNeedsNames(t *testing.T) {
	g := NewWithT(t)
	ca, err := NewCA("test-ca", testNow)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = NewLeaf(ca, nil, testNow)
	g.Expect(err).To(MatchError(ContainSubstring("no DNS names")))
}

func TestParseKeyPairRejectsAKeyOfAnotherCertificate(t *testing.T) {
	g := NewWithT(t)
	a, err := NewCA("a", testNow)
	g.Expect(err).NotTo(HaveOccurred())
	b, err := NewCA("b", testNow)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = ParseKeyPair(a.CertPEM, b.KeyPEM)
	g.Expect(err).To(HaveOccurred())
	_, err = ParseKeyPair(nil, nil)
	g.Expect(err).To(HaveOccurred())
}
