// Package webhookguard keeps the guard configuration: a MutatingWebhookConfiguration of the
// operator's own, holding one entry per StatefulSingleton with failurePolicy Fail, scoped to
// that StatefulSingleton's namespace and selector. The main configuration (config/webhook, or
// the CSV's webhookdefinitions) fails open for every pod, so that a pod nobody selects never
// depends on the operator; the guard entries make the admission of the pods a StatefulSingleton
// selects fail closed: when the webhook cannot prepare such a pod, the API server refuses it
// (docs/webhook.md, "Failure policy and scope").
//
// The reconciler gathers the StatefulSingletons and the main configurations from the cache,
// hands them to Build, a pure function, and applies what Build returns with server-side apply,
// only when it differs from what the API server holds. The entries copy the main
// configuration's clientConfig (Service or URL) and caBundle, with the path replaced by the
// guard path, so they follow whoever rotates the CA there (OLM, or internal/servingcert). The
// guard configuration is owned (ownerReferences) by the main configurations, so that the
// garbage collector removes it with them when the operator is uninstalled.
package webhookguard
