package checks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
)

// MetricsRequireAuth checks that the manager's metrics endpoint answers only authenticated
// callers: a request without a token and one with a token the API server does not know are
// both refused, over TLS verified against the manager's metrics CA when the check
// could read it.
func MetricsRequireAuth(ctx context.Context, env Env, r *Result) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(env.MetricsCA) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(env.MetricsCA) {
			r.Errorf("the metrics CA holds no PEM certificate")
			return
		}
		tlsConfig.RootCAs = pool
		r.Logf("verifying the metrics certificate against the manager's CA")
	} else {
		// Only the refusal is checked here; the ServiceMonitor always verifies.
		tlsConfig.InsecureSkipVerify = true //nolint:gosec // the CA Secret is not readable by this test's ServiceAccount
		r.Logf("the metrics CA could not be read: the certificate is not verified, " +
			"only the refusal of unauthenticated callers")
	}
	httpClient := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig}, Timeout: env.Timeout}

	// Without a token the answer must be 401. An unknown token must be refused; what refuses it
	// is the API server's TokenReview, whose failure the manager answers with 500 (as an API
	// server without token authentication does), so any answer from 400 up is a refusal.
	for _, probe := range []struct {
		what, authorization string
		refused             func(code int) bool
	}{
		{"without a token", "", func(code int) bool { return code == http.StatusUnauthorized }},
		{"with an unknown token", "Bearer singleton-operator-scorecard-not-a-token",
			func(code int) bool { return code >= http.StatusBadRequest }},
	} {
		code, err := get(ctx, httpClient, env.MetricsURL, probe.authorization)
		if err != nil {
			r.Errorf("GET %s %s: %v", env.MetricsURL, probe.what, err)
			return
		}
		r.Logf("GET %s %s: %d", env.MetricsURL, probe.what, code)
		if !probe.refused(code) {
			r.Failf("GET %s %s answered %d: metrics served to an unauthenticated caller", env.MetricsURL, probe.what, code)
		}
	}
}

// get returns the status code of a GET of url with the Authorization header, when not empty.
func get(ctx context.Context, c *http.Client, url, authorization string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		return 0, err
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)); err != nil {
		return 0, fmt.Errorf("reading the body: %w", err)
	}
	return resp.StatusCode, nil
}
