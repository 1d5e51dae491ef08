package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/singleton-operator/singleton-operator/internal/gatewire"
)

// The name the test operator's certificate holds, and the token it accepts.
const (
	testServerName = "singleton-operator-gate.test.svc"
	testToken      = "pod-bound-token"
)

// testCA is a CA and a serving certificate it signed for testServerName and 127.0.0.1.
type testCA struct {
	cert   *x509.Certificate
	serve  tls.Certificate // leaf, then the CA: the chain the operator presents
	sha256 string          // hex SHA-256 of the CA's DER, as --ca-sha256 takes it
}

func newTestCA(t *testing.T, name string) testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: testServerName},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		DNSNames: []string{testServerName}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(caDER)
	return testCA{
		cert:   ca,
		serve:  tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: key},
		sha256: hex.EncodeToString(sum[:]),
	}
}

// testOperator plays the operator's side of internal/gatewire over TLS: it accepts testToken,
// names podUID in every session, pushes the release once push is called and keeps the session
// open (as internal/gatechannel does), answers start
// registrations with allow, and records what it got.
type testOperator struct {
	srv    *httptest.Server
	podUID string

	mu       sync.Mutex
	allow    bool
	hellos   []gatewire.Hello
	starts   []gatewire.StartRequest
	exits    []gatewire.ExitReport
	requests int
	// notLeader answers 503 to the requests from the connections not yet seen, as a replica
	// that is not the leader does, while it is above zero, counting down.
	notLeader int
	refused   map[string]bool // remote addresses answered 503
	pushed    chan struct{}
	pushOnce  sync.Once
	// onExit runs when an exit report arrives, before it is answered.
	onExit func(gatewire.ExitReport)
}

func newTestOperator(t *testing.T, ca testCA, podUID string) *testOperator {
	t.Helper()
	op := &testOperator{podUID: podUID, allow: true, pushed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+gatewire.SessionPath, op.session)
	mux.HandleFunc("POST "+gatewire.StartedPath, op.started)
	mux.HandleFunc("POST "+gatewire.ExitedPath, op.exited)
	op.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op.mu.Lock()
		op.requests++
		if op.refused[r.RemoteAddr] || op.notLeader > 0 {
			if op.refused == nil {
				op.refused = map[string]bool{}
			}
			op.refused[r.RemoteAddr] = true
			op.notLeader--
			op.mu.Unlock()
			http.Error(w, "not the leader", http.StatusServiceUnavailable)
			return
		}
		op.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	op.srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.serve}}
	op.srv.StartTLS()
	t.Cleanup(func() {
		op.srv.CloseClientConnections() // ends the held sessions, so that Close does not wait for them
		op.srv.Close()
	})
	return op
}

func (op *testOperator) url() string { return op.srv.URL }

func (op *testOperator) push() { op.pushOnce.Do(func() { close(op.pushed) }) }

func (op *testOperator) setOnExit(f func(gatewire.ExitReport)) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.onExit = f
}

// refuseConnections makes the next n requests answer 503, and every later request on their
// connections too: those connections reached a replica that is not the leader.
func (op *testOperator) refuseConnections(n int) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.notLeader = n
}

func (op *testOperator) setAllow(allow bool) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.allow = allow
}

func (op *testOperator) session(w http.ResponseWriter, r *http.Request) {
	var h gatewire.Hello
	if err := json.NewDecoder(r.Body).Decode(&h); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	op.mu.Lock()
	op.hellos = append(op.hellos, h)
	id := fmt.Sprintf("s-%d", len(op.hellos))
	op.mu.Unlock()
	w.Header().Set("Content-Type", gatewire.ContentType)
	enc := json.NewEncoder(w)
	_ = enc.Encode(gatewire.Event{Type: gatewire.EventSession, Session: id, PodUID: op.podUID})
	w.(http.Flusher).Flush()
	select {
	case <-op.pushed:
		_ = enc.Encode(gatewire.Event{Type: gatewire.EventRelease})
		w.(http.Flusher).Flush()
	case <-r.Context().Done():
		return
	}
	<-r.Context().Done()
}

func (op *testOperator) started(w http.ResponseWriter, r *http.Request) {
	var s gatewire.StartRequest
	if err := json.NewDecoder(r.Body).Decode(&s); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	op.mu.Lock()
	op.starts = append(op.starts, s)
	v := gatewire.Verdict{Allowed: op.allow}
	op.mu.Unlock()
	if !v.Allowed {
		v.Reason = "the pod is deleting"
	}
	_ = json.NewEncoder(w).Encode(v)
}

func (op *testOperator) exited(w http.ResponseWriter, r *http.Request) {
	var e gatewire.ExitReport
	if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	op.mu.Lock()
	onExit := op.onExit
	op.mu.Unlock()
	if onExit != nil {
		onExit(e)
	}
	op.mu.Lock()
	op.exits = append(op.exits, e)
	op.mu.Unlock()
	_ = json.NewEncoder(w).Encode(struct{}{})
}

// Snapshots of what the operator got, for Eventually.
func (op *testOperator) Hellos() []gatewire.Hello {
	op.mu.Lock()
	defer op.mu.Unlock()
	return append([]gatewire.Hello(nil), op.hellos...)
}

func (op *testOperator) Starts() []gatewire.StartRequest {
	op.mu.Lock()
	defer op.mu.Unlock()
	return append([]gatewire.StartRequest(nil), op.starts...)
}

func (op *testOperator) Exits() []gatewire.ExitReport {
	op.mu.Lock()
	defer op.mu.Unlock()
	return append([]gatewire.ExitReport(nil), op.exits...)
}

func (op *testOperator) Requests() int {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.requests
}
