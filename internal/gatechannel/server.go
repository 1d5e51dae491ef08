package gatechannel

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	singletonv1 "github.com/singleton-operator/singleton-operator/api/apps/v1"
	"github.com/singleton-operator/singleton-operator/internal/gatewire"
	podwebhook "github.com/singleton-operator/singleton-operator/internal/webhook/core/v1"
)

// DefaultPort is the channel's port on every replica of the manager.
const DefaultPort = 9444

const (
	// maxBody bounds a request body: a Hello, StartRequest or ExitReport is a few dozen bytes.
	maxBody = 4 << 10
	// notifyTimeout bounds the wait to hand a report's pod to the reconciler's queue.
	notifyTimeout = 5 * time.Second
	// sweepInterval is how often the ledger forgets pods whose objects are gone.
	sweepInterval = time.Minute
)

// Server is the operator's end of the channel (gatewire): every replica serves it, only the
// leader (Elected closed) accepts requests; the others answer 503 and the gate tries again.
type Server struct {
	// Addr is the address to listen on, e.g. ":9444".
	Addr string
	// Certificate returns the certificate to serve: the leaf and the CA that signed it, which
	// the gate pins (gatewire.FlagCASHA256).
	Certificate func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	Ledger      *Ledger
	Auth        *Authenticator
	// Pods reads pods from the manager's cache.
	Pods client.Reader
	// Elected is closed once this replica leads (manager.Elected()).
	Elected <-chan struct{}
	// Events receives the pod of every exit report, to enqueue the StatefulSingletons that
	// select it (a source.Channel of the reconciler).
	Events chan<- event.GenericEvent
	Log    logr.Logger

	mu       sync.Mutex
	sessions map[string]*session
	byPod    map[types.UID]map[string]*session
	released map[types.UID]bool
	podKeys  map[types.UID]types.NamespacedName
}

// session is one gate's open session.
type session struct {
	id        string
	pod       types.UID
	container string
	release   chan struct{}
	once      sync.Once
}

func (s *session) push() { s.once.Do(func() { close(s.release) }) }

// NeedLeaderElection is false: every replica listens, so that the gates reach the leader
// through the Service whichever replica leads.
func (*Server) NeedLeaderElection() bool { return false }

// Start serves until ctx is done.
func (s *Server) Start(ctx context.Context) error {
	s.init()
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+gatewire.SessionPath, s.handleSession)
	mux.HandleFunc("POST "+gatewire.StartedPath, s.handleStarted)
	mux.HandleFunc("POST "+gatewire.ExitedPath, s.handleExited)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		// HTTP/2 first: a gate's requests then share the connection its session holds open,
		// which reached the leader, so that its exit report needs no handshake and no retry
		// over replicas that do not lead. A replica that does not lead ends the connection
		// with its 503 (GOAWAY, see admit). Go's server bounds the streams of a connection (250)
		// and resets abusive ones; every request still needs a pod's token (docs/gate.md).
		TLSConfig: &tls.Config{
			MinVersion: tls.VersionTLS12, GetCertificate: s.Certificate, NextProtos: []string{"h2", "http/1.1"},
		},
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listening for the gate channel on %s: %w", s.Addr, err)
	}
	s.Log.Info("Serving the gate channel", "address", ln.Addr().String())
	go s.sweep(ctx)
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	return nil
}

func (s *Server) init() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions == nil {
		s.sessions = map[string]*session{}
		s.byPod = map[types.UID]map[string]*session{}
		s.released = map[types.UID]bool{}
		s.podKeys = map[types.UID]types.NamespacedName{}
	}
}

// Released pushes EventRelease to the pod's sessions, and to those it opens later. Call it only
// once the release is recorded in the API (docs/design.md, S2).
func (s *Server) Released(pod types.UID) {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.released[pod] = true
	for _, sess := range s.byPod[pod] {
		sess.push()
	}
}

// Gone forgets a pod whose object is gone (the operator's pod watch saw it deleted): its
// sessions, its release, its ledger. No gate of it can open a session any more (admit requires
// the pod in the cache); sweep does the same for the pods a watch event was missed for.
func (s *Server) Gone(pod types.UID) {
	s.init()
	s.Ledger.Forget(pod)
	s.forget(pod)
}

// leading reports whether this replica leads.
func (s *Server) leading() bool {
	select {
	case <-s.Elected:
		return true
	default:
		return false
	}
}

// admit checks what every request needs: this replica leads, the token is bound to a pod the
// cache holds with that UID, guarded, and the container is one of the pod's. It decodes the
// body into into. On failure it has answered, and returns the metrics result.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, into any, container func() string,
) (*corev1.Pod, string) {
	if !s.leading() {
		// The connection goes with the answer: a gate reusing it would reach this replica
		// again, whereas a new one is spread by the Service over the replicas, the leader too.
		// Over HTTP/2 Go's server turns the header into a GOAWAY: the gate's next request
		// dials anew.
		w.Header().Set("Connection", "close")
		http.Error(w, "not the leader", http.StatusServiceUnavailable)
		return nil, resultNotLeader
	}
	token, ok := bearerToken(r)
	if !ok {
		http.Error(w, "no bearer token", http.StatusUnauthorized)
		return nil, resultUnauthenticated
	}
	id, err := s.Auth.Authenticate(r.Context(), token)
	var transient *reviewError
	switch {
	case errors.As(err, &transient) && r.Context().Err() != nil:
		// The gate went away meanwhile (its container ended, say): nothing to answer, no fault.
		s.Log.V(1).Info("A gate left while its token was reviewed", "reason", err.Error())
		return nil, resultUnauthenticated
	case errors.As(err, &transient):
		s.Log.Error(err, "Reviewing a gate's token")
		http.Error(w, "cannot review the token now", http.StatusServiceUnavailable)
		return nil, resultUnauthenticated
	case err != nil:
		s.Log.V(1).Info("Refused a gate's token", "reason", err.Error(), "remote", r.RemoteAddr)
		http.Error(w, "unauthenticated", http.StatusUnauthorized)
		return nil, resultUnauthenticated
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(into); err != nil {
		http.Error(w, "bad request body", http.StatusBadRequest)
		return nil, resultBadRequest
	}
	pod := &corev1.Pod{}
	err = s.Pods.Get(r.Context(), types.NamespacedName{Namespace: id.Namespace, Name: id.PodName}, pod)
	switch {
	case apierrors.IsNotFound(err) || (err == nil && pod.UID != id.PodUID):
		// The token is bound to a pod that exists (the review says so): the cache is behind.
		http.Error(w, "pod not in the cache yet", http.StatusServiceUnavailable)
		return nil, resultUnknownPod
	case err != nil:
		http.Error(w, "reading the pod", http.StatusServiceUnavailable)
		return nil, resultUnknownPod
	}
	name := container()
	if !podwebhook.HoldsGate(pod) || !hasContainer(pod, name) {
		http.Error(w, "not a guarded pod's container", http.StatusForbidden)
		return nil, resultUnknownPod
	}
	s.mu.Lock()
	s.podKeys[pod.UID] = types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}
	s.mu.Unlock()
	return pod, ""
}

// bearerToken is the request's bearer token.
func bearerToken(r *http.Request) (string, bool) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return strings.TrimSpace(token), ok
}

func hasContainer(pod *corev1.Pod, name string) bool {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return true
		}
	}
	return false
}

// handleSession opens a session: EventSession at once, EventRelease once the pod's release is
// recorded; then it stays open until the gate or this replica goes.
func (s *Server) handleSession(w http.ResponseWriter, r *http.Request) {
	s.init()
	var hello gatewire.Hello
	pod, refused := s.admit(w, r, &hello, func() string { return hello.Container })
	if pod == nil {
		s.Log.V(1).Info("Refused a gate session", "result", refused)
		return
	}
	if hello.Start < 1 {
		http.Error(w, "start counts from 1", http.StatusBadRequest)
		return
	}
	s.Ledger.Opened(pod.UID, hello.Container, hello.Start)
	sess := s.open(pod.UID, hello.Container)
	defer s.close(sess)
	// The session's token stays accepted while it is open: its exit report waits for no review.
	token, _ := bearerToken(r)
	defer s.Auth.Hold(token)()
	if pod.Annotations[singletonv1.AnnotationRelease] == string(pod.UID) {
		sess.push()
	}

	w.Header().Set("Content-Type", gatewire.ContentType)
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	// A held session outlives the server's read and write deadlines.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	enc := json.NewEncoder(w)
	if enc.Encode(gatewire.Event{Type: gatewire.EventSession, Session: sess.id, PodUID: string(pod.UID)}) != nil ||
		rc.Flush() != nil {
		return
	}
	s.Log.V(1).Info("Gate session opened", "pod", pod.Name, "uid", pod.UID, "container", hello.Container,
		"start", hello.Start)
	select {
	case <-sess.release:
		if enc.Encode(gatewire.Event{Type: gatewire.EventRelease}) != nil || rc.Flush() != nil {
			return
		}
	case <-r.Context().Done():
		return
	}
	// The session stays open while the gate runs its application: its reports name it, and a
	// gate whose session ended opens another. It ends when the gate goes, or this replica.
	<-r.Context().Done()
}

func (s *Server) open(pod types.UID, container string) *session {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	sess := &session{id: hex.EncodeToString(id), pod: pod, container: container, release: make(chan struct{})}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[sess.id] = sess
	if s.byPod[pod] == nil {
		s.byPod[pod] = map[string]*session{}
	}
	s.byPod[pod][sess.id] = sess
	if s.released[pod] {
		sess.push()
	}
	sessionsOpen.Inc()
	return sess
}

// close ends a session's stream. Its ID stays known, bound to its pod, until the pod is
// forgotten: reports name it after the stream ended.
func (s *Server) close(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byPod[sess.pod], sess.id)
	if len(s.byPod[sess.pod]) == 0 {
		delete(s.byPod, sess.pod)
	}
	sessionsOpen.Dec()
}

// sessionOf reports whether a request naming a session may go on: a session this replica
// opened must be the pod's; an unknown one (from before a restart, or another leader) is taken
// on the token's word, which names the pod: the report is recorded for that pod only.
func (s *Server) sessionOf(id string, pod types.UID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	return !ok || sess.pod == pod
}

// handleStarted answers a gate whose container reported an exit before and asks to start again.
func (s *Server) handleStarted(w http.ResponseWriter, r *http.Request) {
	s.init()
	var req gatewire.StartRequest
	pod, refused := s.admit(w, r, &req, func() string { return req.Container })
	if pod == nil {
		startsTotal.WithLabelValues(refused).Inc()
		return
	}
	if req.Start < 1 || !s.sessionOf(req.Session, pod.UID) {
		startsTotal.WithLabelValues(resultBadRequest).Inc()
		http.Error(w, "bad start request", http.StatusBadRequest)
		return
	}
	allowed, reason := s.Ledger.Started(pod.UID, req.Container, req.Start, pod.DeletionTimestamp != nil)
	result := "allowed"
	if !allowed {
		result = "refused"
	}
	startsTotal.WithLabelValues(result).Inc()
	s.Log.Info("Gate start request", "pod", pod.Name, "uid", pod.UID, "container", req.Container,
		"start", req.Start, "allowed", allowed, "reason", reason)
	writeJSON(w, gatewire.Verdict{Allowed: allowed, Reason: reason})
	s.notify(r.Context(), pod)
}

// handleExited records an exit report and enqueues the StatefulSingletons that select the pod.
func (s *Server) handleExited(w http.ResponseWriter, r *http.Request) {
	s.init()
	var report gatewire.ExitReport
	pod, refused := s.admit(w, r, &report, func() string { return report.Container })
	if pod == nil {
		reportsTotal.WithLabelValues(refused).Inc()
		return
	}
	if report.Start < 1 || !s.sessionOf(report.Session, pod.UID) {
		reportsTotal.WithLabelValues(resultBadRequest).Inc()
		http.Error(w, "bad exit report", http.StatusBadRequest)
		return
	}
	result := s.Ledger.Exited(pod.UID, report.Container, report.Start, report.ExitCode, time.Now())
	reportsTotal.WithLabelValues(result).Inc()
	s.Log.Info("Gate exit report", "pod", pod.Name, "uid", pod.UID, "container", report.Container,
		"start", report.Start, "exitCode", report.ExitCode, "result", result)
	writeJSON(w, struct{}{})
	s.notify(r.Context(), pod)
}

// notify hands the pod to the reconciler's queue.
func (s *Server) notify(ctx context.Context, pod *corev1.Pod) {
	if s.Events == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, notifyTimeout)
	defer cancel()
	select {
	case s.Events <- event.GenericEvent{Object: pod}:
	case <-ctx.Done():
		s.Log.Info("Could not enqueue a gate report; the pod's next change will", "pod", pod.Name)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", gatewire.ContentType)
	_ = json.NewEncoder(w).Encode(v)
}

// forget drops the sessions and the release of a pod whose object is gone.
func (s *Server) forget(uid types.UID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.podKeys, uid)
	delete(s.released, uid)
	for id, sess := range s.sessions {
		if sess.pod == uid {
			delete(s.sessions, id)
		}
	}
}

// sweep forgets, every sweepInterval, the pods whose objects are gone from the cache.
func (s *Server) sweep(ctx context.Context) {
	ticker := time.NewTicker(sweepInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		s.mu.Lock()
		keys := make(map[types.UID]types.NamespacedName, len(s.podKeys))
		for uid, key := range s.podKeys {
			keys[uid] = key
		}
		s.mu.Unlock()
		for uid, key := range keys {
			pod := &corev1.Pod{}
			err := s.Pods.Get(ctx, key, pod)
			if (err == nil && pod.UID != uid) || apierrors.IsNotFound(err) {
				s.Ledger.Forget(uid)
				s.forget(uid)
			}
		}
	}
}
