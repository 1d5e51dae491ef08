package main

import (
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
