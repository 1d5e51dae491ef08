package main

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/singleton-operator/singleton-operator/internal/gatewire"
)

func TestVerifyPinned(t *testing.T) {
	a, b := newTestCA(t, "operator CA"), newTestCA(t, "another CA")
	parse := func(ders ...[]byte) []*x509.Certificate {
		chain := make([]*x509.Certificate, 0, len(ders))
		for _, der := range ders {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			chain = append(chain, c)
		}
		return chain
	}
	pin := func(ca testCA) []byte {
		sum, err := hex.DecodeString(ca.sha256)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	leafA, caA := a.serve.Certificate[0], a.serve.Certificate[1]
	leafB, caB := b.serve.Certificate[0], b.serve.Certificate[1]
	now := time.Now()
	cases := []struct {
		name    string
		chain   []*x509.Certificate
		pin     []byte
		server  string
		wantErr string
	}{
		{name: "the pinned CA's chain", chain: parse(leafA, caA), pin: pin(a), server: testServerName},
		{name: "another CA's chain", chain: parse(leafB, caB), pin: pin(a), server: testServerName, wantErr: "does not hold the pinned CA"},
		{name: "the pinned CA's certificate presented with another CA's leaf", chain: parse(leafB, caA), pin: pin(a), server: testServerName, wantErr: "unknown authority"},
		{name: "the leaf alone", chain: parse(leafA), pin: pin(a), server: testServerName, wantErr: "does not hold the pinned CA"},
		{name: "another server name", chain: parse(leafA, caA), pin: pin(a), server: "other.svc", wantErr: "other.svc"},
		{name: "nothing presented", pin: pin(a), server: testServerName, wantErr: "no certificate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			err := verifyPinned(c.chain, c.server, c.pin, now)
			if c.wantErr == "" {
				g.Expect(err).NotTo(HaveOccurred())
				return
			}
			g.Expect(err).To(MatchError(ContainSubstring(c.wantErr)))
		})
	}
	t.Run("expired", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(verifyPinned(parse(leafA, caA), testServerName, pin(a), now.Add(2*time.Hour))).
			To(MatchError(ContainSubstring("expired")))
	})
}

// channelFixture is a channel of container "app", start 3, of pod channelPodUID, against op.
func channelFixture(t *testing.T, ca testCA, op *testOperator, token string) *channel {
	t.Helper()
	podinfo, tokenDir := t.TempDir(), t.TempDir()
	writeVolume(t, podinfo, "1", map[string]string{uidFile: channelPodUID + "\n", releaseFile: ""})
	if err := os.WriteFile(filepath.Join(tokenDir, gatewire.TokenFile), []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := channelOptions{container: "app", operator: op.url(), serverName: testServerName, stateDir: t.TempDir(), tokenDir: tokenDir}
	if err := opts.complete(true, ca.sha256); err != nil {
		t.Fatal(err)
	}
	return newChannel(opts, podinfo, 3)
}

const channelPodUID = "pod-uid-1"

func TestChannel(t *testing.T) {
	const uid = channelPodUID
	ca := newTestCA(t, "operator CA")

	t.Run("a session, the release pushed, a start registered, an exit reported", func(t *testing.T) {
		g := NewWithT(t)
		op := newTestOperator(t, ca, uid)
		ch := channelFixture(t, ca, op, testToken)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go ch.run(ctx)

		g.Eventually(op.Hellos).Should(Equal([]gatewire.Hello{{Container: "app", Start: 3}}))
		g.Consistently(ch.released, 100*time.Millisecond).ShouldNot(BeClosed())
		op.push()
		g.Eventually(ch.released).Should(BeClosed())
		g.Consistently(op.Hellos, 300*time.Millisecond).Should(HaveLen(1), "the session stays open")

		g.Expect(ch.registerStart(ctx)).To(Succeed())
		g.Expect(op.Starts()).To(Equal([]gatewire.StartRequest{{Session: "s-1", Container: "app", Start: 3}}))
		g.Expect(ch.reportExit(ctx, 143)).To(BeTrue())
		g.Expect(op.Exits()).To(Equal([]gatewire.ExitReport{{Session: "s-1", Container: "app", Start: 3, ExitCode: 143}}))
	})

	t.Run("an ended session is opened again; the reports name the latest", func(t *testing.T) {
		g := NewWithT(t)
		op := newTestOperator(t, ca, uid)
		ch := channelFixture(t, ca, op, testToken)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go ch.run(ctx)
		g.Eventually(op.Hellos).Should(HaveLen(1))
		op.srv.CloseClientConnections() // the operator restarts, say
		g.Eventually(op.Hellos).Should(HaveLen(2))
		g.Eventually(func() (string, error) { return ch.currentSession(ctx) }).Should(Equal("s-2"))
		g.Expect(ch.reportExit(ctx, 1)).To(BeTrue())
		g.Expect(op.Exits()).To(ConsistOf(HaveField("Session", "s-2")))
	})

	t.Run("a report the operator took no answer to counts as sent", func(t *testing.T) {
		g := NewWithT(t)
		op := newTestOperator(t, ca, uid)
		ch := channelFixture(t, ca, op, testToken)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go ch.run(ctx)
		g.Eventually(op.Hellos).ShouldNot(BeEmpty())
		op.setOnExit(func(gatewire.ExitReport) { op.srv.CloseClientConnections() }) // the answer is lost
		rctx, rcancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer rcancel()
		sent, err := ch.reportExit(rctx, 0)
		g.Expect(err).To(HaveOccurred())
		g.Expect(sent).To(BeTrue(), "the operator may have recorded it")
	})

	t.Run("a replica that is not the leader is not asked again over the same connection", func(t *testing.T) {
		g := NewWithT(t)
		op := newTestOperator(t, ca, uid)
		ch := channelFixture(t, ca, op, testToken)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go ch.run(ctx)
		g.Eventually(op.Hellos).ShouldNot(BeEmpty())
		op.refuseConnections(1)
		rctx, rcancel := context.WithTimeout(ctx, exitReportTimeout)
		defer rcancel()
		g.Expect(ch.reportExit(rctx, 0)).To(BeTrue())
		g.Expect(op.Exits()).To(HaveLen(1))
	})

	t.Run("a start refused is asked again until allowed", func(t *testing.T) {
		g := NewWithT(t)
		op := newTestOperator(t, ca, uid)
		op.setAllow(false)
		ch := channelFixture(t, ca, op, testToken)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go ch.run(ctx)
		done := make(chan error, 1)
		go func() { done <- ch.registerStart(ctx) }()
		g.Eventually(op.Starts).ShouldNot(BeEmpty())
		g.Consistently(done, 200*time.Millisecond).ShouldNot(Receive())
		op.setAllow(true)
		g.Eventually(done, 2*deniedPause).Should(Receive(BeNil()))
	})

	t.Run("a session naming another pod is not used", func(t *testing.T) {
		g := NewWithT(t)
		op := newTestOperator(t, ca, "another-pod")
		ch := channelFixture(t, ca, op, testToken)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go ch.run(ctx)
		op.push()
		g.Eventually(func() int { return len(op.Hellos()) }).Should(BeNumerically(">=", 2), "it tries again")
		g.Expect(ch.released).NotTo(BeClosed(), "a release from a session of another pod")
		rctx, rcancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer rcancel()
		sent, err := ch.reportExit(rctx, 0)
		g.Expect(err).To(MatchError(ContainSubstring("no session")))
		g.Expect(sent).To(BeFalse())
		g.Expect(op.Exits()).To(BeEmpty())
	})

	t.Run("a token the operator refuses opens no session", func(t *testing.T) {
		g := NewWithT(t)
		op := newTestOperator(t, ca, uid)
		ch := channelFixture(t, ca, op, "another token")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go ch.run(ctx)
		g.Eventually(op.Requests).Should(BeNumerically(">=", 2), "it tries again")
		g.Expect(op.Hellos()).To(BeEmpty())
	})

	t.Run("an operator with a certificate of another CA is never spoken to", func(t *testing.T) {
		g := NewWithT(t)
		op := newTestOperator(t, newTestCA(t, "another CA"), uid)
		ch := channelFixture(t, ca, op, testToken)
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		go ch.run(ctx)
		sent, err := ch.reportExit(ctx, 0)
		g.Expect(err).To(MatchError(ContainSubstring("no session")))
		g.Expect(sent).To(BeFalse())
		g.Expect(op.Requests()).To(BeZero(), "no request got past the handshake")
	})
}

func TestRetryPause(t *testing.T) {
	g := NewWithT(t)
	notLeader := &statusError{path: gatewire.ExitedPath, code: 503, status: "503 Service Unavailable"}
	g.Expect(retryPause(5, notLeader)).To(Equal(notLeaderPause), "another connection may reach the leader")
	g.Expect(retryPause(5, fmt.Errorf("wrapped: %w", notLeader))).To(Equal(notLeaderPause))
	g.Expect(retryPause(5, &statusError{code: 401})).To(Equal(backoff(5)))
	g.Expect(retryPause(5, errors.New("connection refused"))).To(Equal(backoff(5)))
}

func TestBackoff(t *testing.T) {
	g := NewWithT(t)
	g.Expect(backoff(0)).To(Equal(retryFirst))
	g.Expect(backoff(1)).To(Equal(2 * retryFirst))
	g.Expect(backoff(100)).To(Equal(retryLast))
}
