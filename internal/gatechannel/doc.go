// Package gatechannel is the operator's side of the channel between the gates and the operator
// for the fast hand-over (docs/design.md, S6; the wire contract is internal/gatewire): the
// ledger of what the gates reported, which the StatefulSingleton decision reads as a snapshot
// and consumes before it releases another pod on a gate's word, and the HTTPS server the gates
// talk to.
package gatechannel
