package servingcert

import (
	"crypto/x509"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Action is what to do with a serving-certificate Secret.
type Action string

const (
	// ActionKeep serves the Secret's certificate as it is.
	ActionKeep Action = "Keep"
	// ActionCreate makes a CA and a serving certificate and creates the Secret.
	ActionCreate Action = "Create"
	// ActionRenewCA replaces both the CA and the serving certificate.
	ActionRenewCA Action = "RenewCA"
	// ActionRenewLeaf replaces the serving certificate with one from the same CA.
	ActionRenewLeaf Action = "RenewLeaf"
)

// Reasons of a Decision.
const (
	ReasonSecretMissing       = "SecretMissing"
	ReasonCAInvalid           = "CAInvalid"
	ReasonCANotCA             = "CANotCA"
	ReasonCADueForRenewal     = "CADueForRenewal"
	ReasonLeafInvalid         = "LeafInvalid"
	ReasonLeafNotFromCA       = "LeafNotFromCA"
	ReasonLeafNotServerAuth   = "LeafNotServerAuth"
	ReasonLeafDueForRenewal   = "LeafDueForRenewal"
	ReasonLeafNamesChanged    = "LeafNamesChanged"
	ReasonCertificatesCurrent = "CertificatesCurrent"
)

// Decision is what to do with a Secret, and why.
type Decision struct {
	Action Action
	Reason string
}

// Decide tells what to do with the serving-certificate Secret (nil when it does not exist) so
// that it holds a valid CA and a serving certificate for dnsNames from that CA, at now.
// A certificate is renewed when less than a third of its life is left, or its life has not
// begun yet.
func Decide(secret *corev1.Secret, dnsNames []string, now time.Time) Decision {
	if secret == nil {
		return Decision{Action: ActionCreate, Reason: ReasonSecretMissing}
	}
	ca, err := ParseKeyPair(secret.Data[KeyCACert], secret.Data[KeyCAKey])
	switch {
	case err != nil:
		return Decision{Action: ActionRenewCA, Reason: ReasonCAInvalid}
	case !ca.Cert.IsCA:
		return Decision{Action: ActionRenewCA, Reason: ReasonCANotCA}
	case dueForRenewal(ca.Cert, now):
		return Decision{Action: ActionRenewCA, Reason: ReasonCADueForRenewal}
	}
	return decideLeaf(secret, ca.Cert, dnsNames, now)
}

// decideLeaf checks the serving certificate of a Secret whose CA is valid.
func decideLeaf(secret *corev1.Secret, ca *x509.Certificate, dnsNames []string, now time.Time) Decision {
	leaf, err := ParseKeyPair(secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey])
	switch {
	case err != nil:
		return Decision{Action: ActionRenewLeaf, Reason: ReasonLeafInvalid}
	case leaf.Cert.CheckSignatureFrom(ca) != nil:
		return Decision{Action: ActionRenewLeaf, Reason: ReasonLeafNotFromCA}
	case !slices.Contains(leaf.Cert.ExtKeyUsage, x509.ExtKeyUsageServerAuth):
		return Decision{Action: ActionRenewLeaf, Reason: ReasonLeafNotServerAuth}
	case dueForRenewal(leaf.Cert, now):
		return Decision{Action: ActionRenewLeaf, Reason: ReasonLeafDueForRenewal}
	case !sameNames(leaf.Cert.DNSNames, dnsNames):
		return Decision{Action: ActionRenewLeaf, Reason: ReasonLeafNamesChanged}
	}
	return Decision{Action: ActionKeep, Reason: ReasonCertificatesCurrent}
}

// dueForRenewal reports whether less than a third of the certificate's life is left at now,
// or its life has not begun.
func dueForRenewal(cert *x509.Certificate, now time.Time) bool {
	life := cert.NotAfter.Sub(cert.NotBefore)
	return now.Before(cert.NotBefore) || cert.NotAfter.Sub(now) < life/3
}

// sameNames reports whether two lists hold the same names, in any order.
func sameNames(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}
