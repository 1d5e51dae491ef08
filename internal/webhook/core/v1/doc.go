// Package v1 is the mutating admission webhook for Pods: it prepares the pods a
// StatefulSingleton selects, at CREATE, so that their application waits for the operator's
// release (docs/gate.md, docs/webhook.md).
//
// The webhook is a typed defaulter (Defaulter) that finds the selecting StatefulSingleton in
// the manager's cache and hands the pod to Inject, a pure function that the unit and fuzz tests
// call without HTTP.
package v1
