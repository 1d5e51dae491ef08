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
// Why not github.com/open-policy-agent/cert-controller's rotator (read at v0.16.0), which also
// keeps a CA and a serving certificate in a Secret and injects the CA into webhook
// configurations:
//
//   - It serves from files only: it writes the Secret and waits for the kubelet to project it
//     into the certificate directory (a Secret volume, updated on the kubelet's sync, up to a
//     minute or more), and fails the manager when the files do not appear in time. Ours serves
//     from memory (Holder.GetCertificate): a new certificate is served the moment a replica
//     reads it, the Deployment mounts no Secret, and the certificate directory stays OLM's
//     (Files mode) when OLM mounts one there.
//   - It does not create the Secret: a missing one is an error that stops it, so the
//     installation would have to ship an empty Secret. Ours creates it, and every replica
//     settles on whichever replica's write won (Keeper.Ensure).
//   - It has no notion of the three modes: under OLM (certificates mounted, caBundle written by
//     OLM) and with cert-manager it must not run at all, so ChooseMode stays ours either way.
//   - It keeps every Secret of the operator's namespace in an informer cache, and watches every
//     MutatingWebhookConfiguration of the cluster (its informer is not confined to one name),
//     so it needs list and watch on all of them; ours reads the one Secret and the one
//     configuration by name, and webhook_ca_injection_role.yaml names that configuration.
//   - It would bring modules this project does not otherwise use (github.com/pkg/errors,
//     go.uber.org/atomic, k8s.io/kube-aggregator, open-policy-agent/frameworks), and RSA keys
//     where ours are ECDSA P-256.
//
// Its CA injection does what CABundleInjector does (every webhook of the configuration, again
// when the CA changes), but takes the rotator with it. internal/controller/webhookguard does not
// read the CA from here: it copies the caBundle of the main configuration, whoever wrote it.
//
// The RBAC this takes is hand-written, and config/rbac is its source:
// serving_cert_role.yaml (Secrets of the operator's namespace) and
// webhook_ca_injection_role.yaml (the one MutatingWebhookConfiguration, by name). There are no
// +kubebuilder:rbac markers for it: controller-gen would put those rules into the manager-role
// Role and ClusterRole of role.yaml, a second grant under another name, not these Roles.
package servingcert
