package servingcert

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
)

const day = 24 * time.Hour

// secretOf is a Secret holding ca and leaf.
func secretOf(ca, leaf *KeyPair) *corev1.Secret {
	data := map[string][]byte{}
	if ca != nil {
		data[KeyCACert], data[KeyCAKey] = ca.CertPEM, ca.KeyPEM
	}
	if leaf != nil {
		data[corev1.TLSCertKey], data[corev1.TLSPrivateKeyKey] = leaf.CertPEM, leaf.KeyPEM
	}
	return &corev1.Secret{Type: corev1.SecretTypeTLS, Data: data}
}

func must(pair *KeyPair, err error) *KeyPair {
	if err != nil {
		panic(err)
	}
	return pair
}

func TestDecide(t *testing.T) {
	ca := must(NewCA("ca", testNow.Add(-400*day)))
	otherCA := must(NewCA("other", testNow))
	oldCA := must(NewCA("old", testNow.Add(-7*365*day)))
	clientOnly := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "svc"},
		DNSNames:    testNames,
		NotBefore:   testNow.Add(-day),
		NotAfter:    testNow.Add(364 * day),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	// A leaf lives 365 days (plus the backdate): renewed with less than ~122 days left.
	leafAt := func(age time.Duration) *KeyPair { return must(NewLeaf(ca, testNames, testNow.Add(-age))) }

	tests := []struct {
		name   string
		secret *corev1.Secret
		names  []string
		want   Decision
	}{
		{"no Secret", nil, testNames, Decision{ActionCreate, ReasonSecretMissing}},
		{"empty Secret", secretOf(nil, nil), testNames, Decision{ActionRenewCA, ReasonCAInvalid}},
		{"CA key of another CA", &corev1.Secret{Data: map[string][]byte{KeyCACert: ca.CertPEM, KeyCAKey: otherCA.KeyPEM}},
			testNames, Decision{ActionRenewCA, ReasonCAInvalid}},
		{"CA is a serving certificate", secretOf(leafAt(0), leafAt(0)), testNames, Decision{ActionRenewCA, ReasonCANotCA}},
		{"CA with less than a third of its life left", secretOf(oldCA, must(NewLeaf(oldCA, testNames, testNow))),
			testNames, Decision{ActionRenewCA, ReasonCADueForRenewal}},
		{"CA not valid yet", secretOf(must(NewCA("future", testNow.Add(2*time.Hour))), nil),
			testNames, Decision{ActionRenewCA, ReasonCADueForRenewal}},
		{"no serving certificate", secretOf(ca, nil), testNames, Decision{ActionRenewLeaf, ReasonLeafInvalid}},
		{"serving certificate of another CA", secretOf(ca, must(NewLeaf(otherCA, testNames, testNow))),
			testNames, Decision{ActionRenewLeaf, ReasonLeafNotFromCA}},
		{"client certificate", secretOf(ca, must(issue(clientOnly, ca))), testNames, Decision{ActionRenewLeaf, ReasonLeafNotServerAuth}},
		{"fresh serving certificate", secretOf(ca, leafAt(0)), testNames, Decision{ActionKeep, ReasonCertificatesCurrent}},
		{"serving certificate with more than a third left", secretOf(ca, leafAt(240*day)), testNames, Decision{ActionKeep, ReasonCertificatesCurrent}},
		{"serving certificate with less than a third left", secretOf(ca, leafAt(250*day)), testNames, Decision{ActionRenewLeaf, ReasonLeafDueForRenewal}},
		{"expired serving certificate", secretOf(ca, leafAt(366*day)), testNames, Decision{ActionRenewLeaf, ReasonLeafDueForRenewal}},
		{"serving certificate not valid yet", secretOf(ca, leafAt(-2*time.Hour)), testNames, Decision{ActionRenewLeaf, ReasonLeafDueForRenewal}},
		{"names in another order", secretOf(ca, leafAt(0)), []string{testNames[3], testNames[2], testNames[1], testNames[0]},
			Decision{ActionKeep, ReasonCertificatesCurrent}},
		{"another Service", secretOf(ca, leafAt(0)), ServiceDNSNames("other", "ns"), Decision{ActionRenewLeaf, ReasonLeafNamesChanged}},
		{"a name less", secretOf(ca, leafAt(0)), testNames[:3], Decision{ActionRenewLeaf, ReasonLeafNamesChanged}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(Decide(tt.secret, tt.names, testNow)).To(Equal(tt.want))
		})
	}
}
