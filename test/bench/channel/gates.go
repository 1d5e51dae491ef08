package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/singleton-operator/singleton-operator/internal/gatewire"
)

// playGates opens the session of every gate listed in file, each over a connection of its own
// (HTTP/2 over TLS, as cmd/gate does, or HTTP/1.1), and prints "ready" once every session is
// open. The streams stay open until the process ends.
func playGates(file string, http2 bool) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var sessions []gateSession
	if err := json.Unmarshal(raw, &sessions); err != nil {
		return err
	}
	// Not errgroup.WithContext: its context ends with Wait, and each stream with its request's.
	ctx := context.Background()
	var g errgroup.Group
	g.SetLimit(32)
	for i := range sessions {
		g.Go(func() error { return openSession(ctx, &sessions[i], http2) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	fmt.Println("ready")
	return nil
}

// openSession opens one session and leaves its stream open once the operator named it. The
// operator answers 503 until its cache holds the pod; it is asked again.
func openSession(ctx context.Context, s *gateSession, http2 bool) error {
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(s.CAPEM) {
		return errors.New("no CA")
	}
	c := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: roots, ServerName: s.ServerName, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2: http2,
	}}
	body, err := json.Marshal(gatewire.Hello{Container: container, Start: 1})
	if err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+gatewire.SessionPath, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", gatewire.ContentType)
		req.Header.Set("Authorization", "Bearer "+s.Token)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		if resp.StatusCode == http.StatusOK {
			var first gatewire.Event
			line, err := bufio.NewReader(resp.Body).ReadBytes('\n')
			if err != nil {
				return err
			}
			if err := json.Unmarshal(line, &first); err != nil || first.Type != gatewire.EventSession {
				return fmt.Errorf("first event %q: %w", line, err)
			}
			return nil // the stream stays open: the body is never closed
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			return fmt.Errorf("opening a session: %s", resp.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
