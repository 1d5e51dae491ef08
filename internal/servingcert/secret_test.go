package servingcert

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestNewBundle(t *testing.T) {
	ca := must(NewCA("ca", testNow))
	current := secretOf(ca, must(NewLeaf(ca, testNames, testNow)))

	t.Run("keep returns the Secret's certificates", func(t *testing.T) {
		g := NewWithT(t)
		b, err := NewBundle(ActionKeep, current, testNames, testNow)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(b.data(nil)).To(Equal(current.Data))
	})
	t.Run("renewing the serving certificate keeps the CA", func(t *testing.T) {
		g := NewWithT(t)
		later := testNow.Add(300 * day)
		b, err := NewBundle(ActionRenewLeaf, current, testNames, later)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(b.CA.CertPEM).To(Equal(ca.CertPEM))
		g.Expect(b.CA.KeyPEM).To(Equal(ca.KeyPEM))
		g.Expect(b.Leaf.CertPEM).NotTo(Equal(current.Data[corev1.TLSCertKey]))
		g.Expect(b.Leaf.Cert.NotAfter).To(Equal(later.Add(LeafValidity)))
		g.Expect(Decide(NewSecret(types.NamespacedName{}, b), testNames, later).Action).To(Equal(ActionKeep))
	})
	for _, action := range []Action{ActionCreate, ActionRenewCA} {
		t.Run(string(action)+" makes a new CA", func(t *testing.T) {
			g := NewWithT(t)
			b, err := NewBundle(action, current, testNames, testNow)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(b.CA.CertPEM).NotTo(Equal(ca.CertPEM))
			g.Expect(b.Leaf.Cert.CheckSignatureFrom(b.CA.Cert)).To(Succeed())
			g.Expect(Decide(NewSecret(types.NamespacedName{}, b), testNames, testNow).Action).To(Equal(ActionKeep))
		})
	}
	t.Run("renewing the serving certificate needs a CA", func(t *testing.T) {
		g := NewWithT(t)
		_, err := NewBundle(ActionRenewLeaf, secretOf(nil, nil), testNames, testNow)
		g.Expect(err).To(MatchError(ContainSubstring("reading the CA")))
	})
	t.Run("no names", func(t *testing.T) {
		g := NewWithT(t)
		_, err := NewBundle(ActionCreate, nil, nil, testNow)
		g.Expect(err).To(MatchError(ContainSubstring("no DNS names")))
	})
}

func TestNewSecret(t *testing.T) {
	g := NewWithT(t)
	b, err := NewBundle(ActionCreate, nil, testNames, testNow)
	g.Expect(err).NotTo(HaveOccurred())
	s := NewSecret(types.NamespacedName{Namespace: "ns", Name: "cert"}, b)
	g.Expect(s.Namespace).To(Equal("ns"))
	g.Expect(s.Name).To(Equal("cert"))
	g.Expect(s.Type).To(Equal(corev1.SecretTypeTLS))
	g.Expect(s.Data).To(HaveLen(4))
	g.Expect(s.Data).To(HaveKeyWithValue("ca.crt", b.CA.CertPEM))
	g.Expect(s.Data).To(HaveKeyWithValue("ca.key", b.CA.KeyPEM))
	g.Expect(s.Data).To(HaveKeyWithValue("tls.crt", b.Leaf.CertPEM))
	g.Expect(s.Data).To(HaveKeyWithValue("tls.key", b.Leaf.KeyPEM))
}

func TestBundleDataKeepsOtherKeys(t *testing.T) {
	g := NewWithT(t)
	b, err := NewBundle(ActionCreate, nil, testNames, testNow)
	g.Expect(err).NotTo(HaveOccurred())
	base := map[string][]byte{"note": []byte("kept"), "tls.crt": []byte("old")}
	data := b.data(base)
	g.Expect(data).To(HaveKeyWithValue("note", []byte("kept")))
	g.Expect(data).To(HaveKeyWithValue("tls.crt", b.Leaf.CertPEM))
	g.Expect(base).To(HaveKeyWithValue("tls.crt", []byte("old")), "the base is not changed")
}
