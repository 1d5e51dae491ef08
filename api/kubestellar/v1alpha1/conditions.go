package v1alpha1

// Condition types of a ReportedState.
const (
	// ConditionConnected is True when both the WDS and the ITS answer.
	ConditionConnected = "Connected"
	// ConditionSynced is True when every cache is synced and the operator makes decisions.
	ConditionSynced = "Synced"
	// ConditionReady is True when the ReportedState is Connected and Synced.
	ConditionReady = "Ready"
	// ConditionRequestsValid is False while some object asks singleton reported state (and not
	// ConditionSoleWriter is True while no other controller writes the reported state of the
	// objects; False when KubeStellar's own status controller still does.
	ConditionSoleWriter = "SoleWriter"
	// multi-WEC) on a qualified WEC set of other than one WEC: nothing is returned into it.
	ConditionRequestsValid = "RequestsValid"
)

// Condition reasons, in CamelCase as the API conventions ask.
const (
	// ReasonConnecting: the operator has not reached the cluster yet.
	ReasonConnecting = "Connecting"
	// ReasonConnected: both clusters answer.
	ReasonConnected = "Connected"
	// ReasonWDSUnreachable: the WDS does not answer.
	ReasonWDSUnreachable = "WDSUnreachable"
	// ReasonITSUnreachable: the ITS does not answer; WDS status is left as it is.
	ReasonITSUnreachable = "ITSUnreachable"
	// ReasonKubeconfigInvalid: the kubeconfig Secret is missing, lacks the key, or does not parse.
	ReasonKubeconfigInvalid = "KubeconfigInvalid"
	// ReasonKubeconfigRefused: the kubeconfig would make the operator run a program or read a
	// file (exec, auth-provider, tokenFile, certificate or key paths); it is not loaded.
	ReasonKubeconfigRefused = "KubeconfigRefused"
	// ReasonControlPlaneNotFound: the KubeFlex ControlPlane named by controlPlaneRef does not
	// exist (or KubeFlex's CRD is not installed), or the operator may not read it.
	ReasonControlPlaneNotFound = "ControlPlaneNotFound"
	// ReasonControlPlaneNotReady: the ControlPlane names no kubeconfig Secret yet
	// (status.secretRef), or is being deleted.
	ReasonControlPlaneNotReady = "ControlPlaneNotReady"
	// ReasonControlPlaneSecretUnreadable: the Secret the ControlPlane names is missing, lacks
	// the key, is outside the ControlPlane's namespace, or the operator may not read it.
	ReasonControlPlaneSecretUnreadable = "ControlPlaneSecretUnreadable"
	// ReasonNamespaceNotServed: the ReportedState is outside the operator's namespace. A
	// ReportedState acts with the operator's credentials, so only those who may write in the
	// operator's namespace can point it at a cluster.
	ReasonNamespaceNotServed = "NamespaceNotServed"
	// ReasonSyncing: caches are being filled; no decision is made yet.
	ReasonSyncing = "Syncing"
	// ReasonCannotWatch: Bindings ask for objects of resources the WDS credentials cannot list
	// or watch (or whose first list does not complete); the other objects are served.
	ReasonCannotWatch = "CannotWatch"
	// ReasonSoleWriter: no other controller writes the reported state of the objects.
	ReasonSoleWriter = "SoleWriter"
	// ReasonKubeStellarStatusControllerActive: KubeStellar's status controller wrote the
	// reported state of objects after this operator did.
	ReasonKubeStellarStatusControllerActive = "KubeStellarStatusControllerActive"
	// ReasonSynced: every cache is synced.
	ReasonSynced = "Synced"
	// ReasonNotConnected: not connected, so not synced either.
	ReasonNotConnected = "NotConnected"
	// ReasonReady: connected and synced.
	ReasonReady = "Ready"
	// ReasonRequestsValid: every object's reported-state request can be honored.
	ReasonRequestsValid = "RequestsValid"
	// ReasonSingletonWrongWECCount: singleton reported state is requested on an object whose
	// qualified WEC set does not have exactly one WEC.
	ReasonSingletonWrongWECCount = "SingletonWrongWECCount"
)
