// Package servingcert gives the manager's webhook server and metrics server their serving
// certificates when nobody else does.
//
// Each server runs in one of three modes, chosen at start (see ChooseMode):
//
//   - Files: tls.crt and tls.key are mounted in the server's certificate directory (by OLM,
//     or from a cert-manager Secret). controller-runtime serves them with its own file
//     watcher, and this package does nothing else: no Secret, no caBundle.
//   - Managed: the operator's namespace is known. A self-signed CA and a serving certificate
//     signed by it are kept in a kubernetes.io/tls Secret of that namespace, shared by every
//     replica, renewed before they expire, and served from memory (Holder). For the webhook
//     server, the CA is also written into the caBundle of the operator's
//     MutatingWebhookConfiguration (CABundleInjector).
//   - Default: outside a cluster (make run). controller-runtime's own behavior is kept: a
//     self-signed metrics certificate, and the webhook certificate directory as given.
//
// What to do with a Secret's contents is decided by a pure function (Decide); the
// certificates are made by pure functions too (NewCA, NewLeaf).
//
// The RBAC this takes is hand-written, and config/rbac is its source:
// serving_cert_role.yaml (Secrets of the operator's namespace) and
// webhook_ca_injection_role.yaml (the one MutatingWebhookConfiguration, by name). There are no
// +kubebuilder:rbac markers for it: controller-gen would put those rules into the manager-role
// Role and ClusterRole of role.yaml, a second grant under another name, not these Roles.
package servingcert
