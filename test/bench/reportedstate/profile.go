package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// profile is one of the operator's profiles (its --pprof-bind-address), for explanation only:
// where the memory the report shows is held, or where its CPU time goes.
type profile struct {
	what string
	path string
	// top is `go tool pprof -top` of it.
	top []string
}

// takeHeapProfile saves the operator's live heap (after a GC, as /debug/pprof/heap?gc=1 does)
// under dir and summarizes it by allocating function.
func takeHeapProfile(ctx context.Context, pprofURL, dir, when string) profile {
	return takeProfile(ctx, pprofURL+"/debug/pprof/heap?gc=1", dir, "heap", when,
		"operator's live Go heap "+when, "-sample_index=inuse_space")
}

// takeCPUProfile profiles the operator's CPU for d and summarizes it by function, cumulative.
func takeCPUProfile(ctx context.Context, pprofURL, dir, when string, d time.Duration) profile {
	return takeProfile(ctx, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", pprofURL, int(d.Seconds())), dir, "cpu",
		when, "operator's CPU "+when, "-cum")
}

// takeProfile fetches a profile, saves it under dir and keeps the top of `go tool pprof -top`.
// Failures are reported in the summary, not as errors.
func takeProfile(ctx context.Context, url, dir, kind, when, what string, flags ...string) profile {
	p := profile{what: what, path: filepath.Join(dir, kind+"-"+strings.ReplaceAll(when, " ", "-")+".pb.gz")}
	fail := func(err error) profile {
		p.top = []string{err.Error()}
		return p
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		return fail(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fail(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		err = os.WriteFile(p.path, body, 0o600)
	}
	if err != nil {
		return fail(err)
	}
	args := append([]string{"tool", "pprof", "-top", "-nodecount=15"}, flags...)
	out, err := exec.CommandContext(ctx, "go", append(args, p.path)...).Output()
	if err != nil {
		return fail(fmt.Errorf("go tool pprof: %w", err))
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "File:") && !strings.HasPrefix(line, "Type:") &&
			!strings.HasPrefix(line, "Time:") && !strings.HasPrefix(line, "Build ID:") {
			p.top = append(p.top, line)
		}
	}
	return p
}

func (r *report) printProfiles(p func(string, ...any)) {
	for _, h := range r.profiles {
		p("")
		p("%s (go tool pprof -top %s):", h.what, h.path)
		for _, l := range h.top {
			p("  %s", l)
		}
	}
}
