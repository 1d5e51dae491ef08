package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/singleton-operator/singleton-operator/internal/gatewire"
)

// Backoff of the channel's retries: short, since a held pod's release may come over it and a
// restarted container may wait on a start registration.
const (
	retryFirst = 50 * time.Millisecond
	// notLeaderPause is the pause after a 503, the answer of a replica that is not the leader.
	notLeaderPause = 10 * time.Millisecond
	retryLast      = time.Second
	deniedPause    = 2 * time.Second // between start registrations the operator refused
	requestLimit   = 5 * time.Second // a request's answer (a session's first bytes included)
)

// channel is the gate's side of the channel to the operator (internal/gatewire): a session
// kept open in the background, which may push the release, and the two requests, StartedPath
// and ExitedPath, that name the current session. The application never waits for it, except
// for a start registration (the exit-reported marker) and, after its exit, the report.
type channel struct {
	opts       channelOptions
	podinfoDir string
	start      int
	client     *http.Client

	// released is closed when the operator pushed the release.
	released    chan struct{}
	releaseOnce sync.Once

	mu sync.Mutex
	// session is the latest session's ID, "" until one opened; ready is closed when it opens.
	session string
	ready   chan struct{}
	lastErr string // the last error logged, so that a retry loop does not flood the log
}

func newChannel(opts channelOptions, podinfoDir string, start int) *channel {
	dialer := &net.Dialer{Timeout: requestLimit, KeepAlive: 15 * time.Second}
	transport := &http.Transport{
		// No proxy: the operator is a ClusterIP, and HTTPS_PROXY in the application's
		// environment (which the gate shares) is not meant for it.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       pinnedTLS(opts.serverName, opts.caSHA256),
		TLSHandshakeTimeout:   requestLimit,
		ResponseHeaderTimeout: requestLimit,
		MaxIdleConnsPerHost:   2,
		// Where the operator offers HTTP/2, the requests share the session's connection, which
		// reached the leader; else each request has a connection of its own.
		ForceAttemptHTTP2: true,
	}
	return &channel{
		opts:       opts,
		podinfoDir: podinfoDir,
		start:      start,
		client:     &http.Client{Transport: transport},
		released:   make(chan struct{}),
		ready:      make(chan struct{}),
	}
}

// pinnedTLS trusts one CA only: a certificate the server presents whose DER's SHA-256 is
// caSHA256. The server's leaf must verify against it for serverName. The system's roots play
// no part; the server must present the CA in its chain.
func pinnedTLS(serverName string, caSHA256 []byte) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: serverName,
		// The standard verification against the system's roots is replaced, not skipped:
		// VerifyConnection runs on every handshake.
		InsecureSkipVerify: true, //nolint:gosec // verified by verifyPinned
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyPinned(cs.PeerCertificates, serverName, caSHA256, time.Now())
		},
	}
}

// verifyPinned checks a presented chain: one of its certificates is the pinned CA, and the
// leaf verifies against that CA alone (the others as intermediates) for serverName at now.
func verifyPinned(chain []*x509.Certificate, serverName string, caSHA256 []byte, now time.Time) error {
	if len(chain) == 0 {
		return errors.New("the operator presented no certificate")
	}
	var ca *x509.Certificate
	intermediates := x509.NewCertPool()
	for i, c := range chain {
		sum := sha256.Sum256(c.Raw)
		switch {
		case bytes.Equal(sum[:], caSHA256):
			ca = c
		case i > 0:
			intermediates.AddCert(c)
		}
	}
	if ca == nil {
		return errors.New("the operator's certificate chain does not hold the pinned CA")
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	_, err := chain[0].Verify(x509.VerifyOptions{
		DNSName:       serverName,
		Roots:         roots,
		Intermediates: intermediates,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

// run keeps a session open until ctx ends, opening a new one after each failure or end (an
// operator that restarted, a new leader): the operator learns this start from it. The requests
// name the latest session's ID. The backoff starts again only after a session that lasted, so
// that an operator ending sessions at once is not asked again at the shortest interval.
func (c *channel) run(ctx context.Context) {
	for attempt := 0; ctx.Err() == nil; attempt++ {
		began := time.Now()
		opened, err := c.openSession(ctx)
		if ctx.Err() != nil {
			return
		}
		c.logOnce("session", err)
		if opened && time.Since(began) >= retryLast {
			attempt = 0
		}
		if !sleep(ctx, backoff(attempt)) {
			return
		}
	}
}

// openSession opens a session and reads its events until it ends; opened says whether the
// operator accepted it.
func (c *channel) openSession(ctx context.Context) (opened bool, err error) {
	uid, err := os.ReadFile(filepath.Join(c.podinfoDir, uidFile))
	if err != nil {
		return false, err
	}
	podUID := strings.Trim(string(uid), asciiSpace)
	resp, err := c.do(ctx, gatewire.SessionPath, gatewire.Hello{Container: c.opts.container, Start: c.start})
	if err != nil {
		return false, err
	}
	defer func() { _ = resp.Body.Close() }()
	dec := json.NewDecoder(resp.Body)
	var first gatewire.Event
	if err := dec.Decode(&first); err != nil {
		return false, fmt.Errorf("session: %w", err)
	}
	if first.Type != gatewire.EventSession || first.Session == "" {
		return false, fmt.Errorf("session: the first event is %q, not a session", first.Type)
	}
	if podUID == "" || first.PodUID != podUID {
		return false, fmt.Errorf("session: the operator names pod %q, this is pod %q", first.PodUID, podUID)
	}
	c.setSession(first.Session)
	c.logOnce("session", nil)
	for {
		var ev gatewire.Event
		if err := dec.Decode(&ev); err != nil {
			if errors.Is(err, io.EOF) {
				return true, errors.New("session: the operator ended it")
			}
			return true, fmt.Errorf("session: %w", err)
		}
		if ev.Type == gatewire.EventRelease {
			c.releaseOnce.Do(func() { close(c.released) })
		} // other types are for later versions
	}
}

// setSession makes id the session the reports name.
func (c *channel) setSession(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session == "" {
		close(c.ready)
	}
	c.session = id
}

// currentSession waits for a session and returns the latest one's ID.
func (c *channel) currentSession(ctx context.Context) (string, error) {
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case <-c.ready:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session, nil
}

// registerStart registers this start of a container whose earlier start reported its exit,
// and returns once the operator allowed it; it retries while the operator cannot be reached
// and while it refuses, until ctx ends.
func (c *channel) registerStart(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		session, err := c.currentSession(ctx)
		if err != nil {
			return err
		}
		var v gatewire.Verdict
		req := gatewire.StartRequest{Session: session, Container: c.opts.container, Start: c.start}
		err = c.post(ctx, gatewire.StartedPath, req, &v)
		pause := backoff(attempt)
		switch {
		case err == nil && v.Allowed:
			c.logOnce("start", nil)
			return nil
		case err == nil:
			err = fmt.Errorf("the operator does not allow start %d of container %s yet: %s", c.start, c.opts.container, v.Reason)
			pause = deniedPause
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.logOnce("start", err)
		if !sleep(ctx, pause) {
			return ctx.Err()
		}
	}
}

// reportExit reports the exit of this start with the container's exit code, retrying until
// the operator took it or ctx ends. sent says whether a report may have reached the operator:
// false only when none was ever written to a connection (no session, no connection, no
// handshake), so that the operator cannot have recorded it.
func (c *channel) reportExit(ctx context.Context, code int) (sent bool, err error) {
	var written atomic.Bool
	traced := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { written.Store(true) },
	})
	for attempt := 0; ; attempt++ {
		session, err := c.currentSession(ctx)
		if err != nil {
			return written.Load(), fmt.Errorf("no session: %w", err)
		}
		report := gatewire.ExitReport{Session: session, Container: c.opts.container, Start: c.start, ExitCode: code}
		err = c.post(traced, gatewire.ExitedPath, report, nil)
		if err == nil {
			return true, nil
		}
		if !sleep(ctx, retryPause(attempt, err)) {
			return written.Load(), err
		}
	}
}

// post sends a request and decodes the answer into out (nil: the answer is dropped).
func (c *channel) post(ctx context.Context, path string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, requestLimit)
	defer cancel()
	resp, err := c.do(ctx, path, in)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(out); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// do sends in as JSON to path with the pod's token, and returns a 200 answer.
func (c *channel) do(ctx context.Context, path string, in any) (*http.Response, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	// Read at every request: the kubelet rotates a projected token.
	token, err := os.ReadFile(filepath.Join(c.opts.tokenDir, gatewire.TokenFile))
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.opts.operator+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", gatewire.ContentType)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	resp, err := c.client.Do(req)
	if err != nil {
		c.client.CloseIdleConnections()
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		_ = resp.Body.Close()
		// The next attempt dials again: the Service then picks a replica again, and a replica
		// that is not the leader (503) is not asked for ever over a kept-alive connection.
		c.client.CloseIdleConnections()
		return nil, &statusError{path: path, code: resp.StatusCode, status: resp.Status, msg: strings.TrimSpace(string(msg))}
	}
	return resp, nil
}

// statusError is an answer other than 200.
type statusError struct {
	path, status, msg string
	code              int
}

func (e *statusError) Error() string { return fmt.Sprintf("%s: %s: %s", e.path, e.status, e.msg) }

// retryPause is the pause before attempt+1 of an exit report that failed with err: a replica
// that is not the leader answers 503 at once, and the next connection may reach the leader, so
// that is asked again soon (the Service picks replicas at random); anything else backs off. Only
// the report, bounded by exitReportTimeout, retries so fast.
func retryPause(attempt int, err error) time.Duration {
	var se *statusError
	if errors.As(err, &se) && se.code == http.StatusServiceUnavailable {
		return notLeaderPause
	}
	return backoff(attempt)
}

// logOnce logs err unless it is the same as the last one logged for what; a nil err after an
// error logs the recovery.
func (c *channel) logOnce(what string, err error) {
	msg := ""
	if err != nil {
		msg = what + ": " + err.Error()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if msg == c.lastErr {
		return
	}
	if msg == "" {
		fmt.Fprintf(os.Stderr, "gate: channel: %s: ok\n", what)
	} else {
		fmt.Fprintf(os.Stderr, "gate: channel: %s\n", msg)
	}
	c.lastErr = msg
}

// backoff is the pause before retry attempt (from 0): doubling from retryFirst up to retryLast.
func backoff(attempt int) time.Duration {
	d := retryFirst
	for i := 0; i < attempt && d < retryLast; i++ {
		d *= 2
	}
	return min(d, retryLast)
}

// sleep waits d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
