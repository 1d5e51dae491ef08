// Package combinedstatus evaluates KubeStellar StatusCollectors (rule R6 of docs/design.md): it
// compiles a collector's CEL expressions once (Compile, Cache) and turns what the WECs report
// about one workload object into the result KubeStellar writes into a CombinedStatus
// (Collector.Evaluate). It reads no cluster and writes nothing: the reconciler in
// internal/controller/kubestellar gathers the inputs and writes the CombinedStatus objects.
//
// The expressions see the variables KubeStellar v0.30 gives them (its ExpressionContext):
//   - obj: the workload object as read from the WDS;
//   - returned: {"status": <the WEC's .status of the object>};
//   - inventory: {"name": <the WEC's name>};
//   - propagation: {"lastReturnedUpdateTimestamp": <when the WEC's status was last written>}.
//
// Where KubeStellar's own status controller departs from its API's word (the limit, error
// reporting, row order, null and list values) this package keeps the API's word;
// docs/reported-state.md lists the differences.
package combinedstatus
