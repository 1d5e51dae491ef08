package main

import (
	"encoding/hex"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestParseOptionsExec(t *testing.T) {
	defaults := options{podinfoDir: defaultPodinfoDir, watch: watchInotify, interval: defaultInterval}
	cases := []struct {
		name     string
		args     []string
		want     options
		wantArgv []string
		wantErr  string
	}{
		{
			name:     "defaults",
			args:     []string{"--", "/app"},
			want:     defaults,
			wantArgv: []string{"/app"},
		},
		{
			name:     "arguments kept verbatim: spaces, quotes, commas, flags, a second --",
			args:     []string{"--", "app", "a b", `"q"`, "it's", "x,y", "--flag", "--", "-", ""},
			want:     defaults,
			wantArgv: []string{"app", "a b", `"q"`, "it's", "x,y", "--flag", "--", "-", ""},
		},
		{
			name:     "flags",
			args:     []string{"--podinfo", "/p", "--watch=poll", "--interval", "10ms", "--", "app"},
			want:     options{podinfoDir: "/p", watch: watchPoll, interval: 10 * time.Millisecond},
			wantArgv: []string{"app"},
		},
		{name: "no --", args: []string{"app"}, wantErr: "unexpected argument"},
		{name: "nothing", args: nil, wantErr: "needs the command"},
		{name: "empty command", args: []string{"--"}, wantErr: "needs the command"},
		{name: "unknown flag", args: []string{"--nope", "--", "app"}, wantErr: "not defined"},
		{name: "max-wait is await's", args: []string{"--max-wait=1s", "--", "app"}, wantErr: "not defined"},
		{name: "bad watch", args: []string{"--watch=fanotify", "--", "app"}, wantErr: "--watch"},
		{name: "zero interval", args: []string{"--interval=0s", "--", "app"}, wantErr: "--interval"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			got, argv, err := parseOptions("exec", c.args, true)
			if c.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(c.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(c.want))
			g.Expect(argv).To(Equal(c.wantArgv))
		})
	}
}

func TestParseOptionsAwait(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		want    options
		wantErr string
	}{
		{
			name: "defaults",
			want: options{podinfoDir: defaultPodinfoDir, watch: watchInotify, interval: defaultInterval},
		},
		{
			name: "max-wait",
			args: []string{"--max-wait", "50m"},
			want: options{podinfoDir: defaultPodinfoDir, watch: watchInotify, interval: defaultInterval,
				maxWait: 50 * time.Minute},
		},
		{name: "negative max-wait", args: []string{"--max-wait=-1s"}, wantErr: "--max-wait"},
		{name: "a command", args: []string{"--", "app"}, wantErr: "takes no command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			got, argv, err := parseOptions("await", c.args, false)
			if c.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(c.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(c.want))
			g.Expect(argv).To(BeEmpty())
		})
	}
}

func TestParseOptionsSupervise(t *testing.T) {
	const ca = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	// sup is --supervise, the channel's flags, extra (a later flag wins), and the command.
	sup := func(extra ...string) []string {
		args := make([]string, 0, 11+len(extra))
		args = append(args, "--supervise", "--container", "db", "--operator", "https://10.96.0.7:9443",
			"--server-name", "op.ns.svc", "--ca-sha256", ca)
		return append(append(args, extra...), "--", "app")
	}
	cases := []struct {
		name    string
		args    []string
		want    options
		wantErr string
	}{
		{
			name: "supervision alone",
			args: []string{"--supervise", "--", "app"},
			want: options{podinfoDir: defaultPodinfoDir, watch: watchInotify, interval: defaultInterval, supervise: true},
		},
		{
			name: "supervision and the channel, default directories",
			args: sup(),
			want: options{podinfoDir: defaultPodinfoDir, watch: watchInotify, interval: defaultInterval, supervise: true,
				channel: channelOptions{container: "db", operator: "https://10.96.0.7:9443", serverName: "op.ns.svc",
					caSHA256: mustHex(t, ca), stateDir: "/singleton/state", tokenDir: "/singleton/token"}},
		},
		{name: "the channel without supervision", args: sup()[1:], wantErr: "need --supervise"},
		{name: "the channel half given", args: []string{"--supervise", "--container", "db", "--", "app"}, wantErr: "go together"},
		{name: "http", args: sup("--operator", "http://10.96.0.7"), wantErr: "https://HOST:PORT"},
		{name: "a path", args: sup("--operator", "https://h:1/x"), wantErr: "https://HOST:PORT"},
		{name: "a short hash", args: sup("--ca-sha256", "abcd"), wantErr: "64 hex digits"},
		{name: "a container name that is a path", args: sup("--container", "../x"), wantErr: "not a container name"},
		{name: "await does not supervise", args: []string{"--supervise"}, wantErr: "not defined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			name, withArgv := "exec", true
			if c.name == "await does not supervise" {
				name, withArgv = "await", false
			}
			got, _, err := parseOptions(name, c.args, withArgv)
			if c.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(c.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(c.want))
		})
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
