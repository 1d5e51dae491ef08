// Package gatewire is the contract between the gate (cmd/gate, in every selected pod) and the
// operator for the fast hand-over (docs/design.md, S6): paths, the token audience, the flags the
// webhook gives the gate, and the messages both sides exchange. It is stdlib-only, since the
// gate is.
//
// The channel, seen from the gate of one application container:
//
//  1. The gate POSTs a Hello to SessionPath over TLS (the operator's CA, pinned by the webhook
//     with FlagCASHA256), with "Authorization: Bearer <pod-bound service account token whose
//     audience is Audience>". The operator verifies the token (TokenReview, cached), takes the
//     pod's UID from it (never from the request), and answers with a stream of Events, one JSON
//     object per line: first EventSession (the session's ID and the pod UID the token names),
//     then EventRelease once the pod's release is recorded in the API; the stream stays open
//     while the gate runs. A gate whose stream ended (an operator restarted, a new leader)
//     opens a new session; its requests below name the latest session's ID. A replica that is
//     not the leader answers 503; the gate tries again.
//  2. The application starts when the release is seen, from the downward API file or pushed
//     here, whichever comes first. A gate that finds its container's exit-reported marker in
//     StateDir (a start of the same container already reported its exit) first POSTs a
//     StartRequest to StartedPath and starts only on a Verdict that allows it.
//  3. When the application's whole process tree is gone, the gate writes the exit-reported
//     marker, POSTs an ExitReport to ExitedPath, waits briefly for the answer, and exits with
//     the application's status.
//
// The operator counts a pod as stopped on this channel's word only when its deletion is
// requested and every supervised application container of it has reported the exit of its
// latest registered start; see docs/gate.md for the security review.
package gatewire

const (
	// Audience is the audience of the projected service account token the gate presents.
	Audience = "gate.apps.statefulsingleton.com"

	// SessionPath opens a session: a Hello in, a stream of Events out.
	SessionPath = "/gate/v1/session"
	// StartedPath registers a start of a container whose earlier start reported its exit.
	StartedPath = "/gate/v1/started"
	// ExitedPath reports that a container's application process tree has exited.
	ExitedPath = "/gate/v1/exited"

	// TokenDir holds the projected token (file TokenFile) in every supervised container.
	TokenDir = "/singleton/token"
	// TokenFile is the projected token's file name in TokenDir.
	TokenFile = "token"
	// StateDir is a writable emptyDir shared by the pod's containers and kept across container
	// restarts: the gate keeps per-container start counts and exit-reported markers there.
	StateDir = "/singleton/state"

	// ContentType of every request and answer body; a session's answer is one JSON object
	// per line.
	ContentType = "application/json"
)

// Flags of "gate exec" that turn supervision and the channel on; the webhook sets them.
const (
	FlagSupervise  = "--supervise"   // stay the application's parent, reap, report its exit
	FlagOperator   = "--operator"    // https://<Service ClusterIP>:<port> (no DNS needed)
	FlagServerName = "--server-name" // the name the operator's certificate is checked against
	FlagCASHA256   = "--ca-sha256"   // hex SHA-256 of the DER of the CA certificate to trust
	FlagContainer  = "--container"   // the container's name in the pod
)

// Hello opens a session for one container.
type Hello struct {
	// Container is the container's name in the pod spec.
	Container string `json:"container"`
	// Start counts the starts of this container in this pod, from 1 (kept in StateDir).
	Start int `json:"start"`
}

// EventType names what an Event says.
type EventType string

const (
	// EventSession is the first event of every session.
	EventSession EventType = "session"
	// EventRelease says the pod's release is recorded in the API: the application may start.
	EventRelease EventType = "release"
)

// Event is one line of a session's answer.
type Event struct {
	Type EventType `json:"type"`
	// Session identifies the session (EventSession); reports name it.
	Session string `json:"session,omitempty"`
	// PodUID is the UID of the pod the token is bound to; the gate checks that it is its own.
	PodUID string `json:"podUID,omitempty"`
}

// StartRequest asks to start the application again after an exit of the same container was
// reported.
type StartRequest struct {
	Session   string `json:"session"`
	Container string `json:"container"`
	Start     int    `json:"start"`
}

// Verdict answers a StartRequest.
type Verdict struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason,omitempty"`
}

// ExitReport says that the application of one start of a container has exited, its whole
// process tree gone.
type ExitReport struct {
	Session   string `json:"session"`
	Container string `json:"container"`
	Start     int    `json:"start"`
	// ExitCode is the container's exit status as the gate returns it (128+N after signal N).
	ExitCode int `json:"exitCode"`
}
