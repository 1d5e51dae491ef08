package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// heapProfile is the operator's Go heap profile at one moment of the run (its
// --pprof-bind-address), for explanation only: where the memory the report shows is held.
type heapProfile struct {
	when string
	path string
	// top is `go tool pprof -top` of the live heap: the functions that allocated what is held.
	top []string
}

// takeHeapProfile saves the operator's heap profile (after a GC, as /debug/pprof/heap?gc=1 does)
// under dir and summarizes it. Failures are reported in the summary, not as errors.
func takeHeapProfile(ctx context.Context, pprofURL, dir, when string) heapProfile {
	h := heapProfile{when: when, path: filepath.Join(dir, "heap-"+strings.ReplaceAll(when, " ", "-")+".pb.gz")}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, pprofURL+"/debug/pprof/heap?gc=1", nil)
	if err != nil {
		h.top = []string{err.Error()}
		return h
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.top = []string{err.Error()}
		return h
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		err = os.WriteFile(h.path, body, 0o600)
	}
	if err != nil {
		h.top = []string{err.Error()}
		return h
	}
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-sample_index=inuse_space",
		"-nodecount=12", h.path).Output()
	if err != nil {
		h.top = []string{"go tool pprof: " + err.Error()}
		return h
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "File:") || strings.HasPrefix(line, "Type:") || strings.HasPrefix(line, "Time:") {
			continue
		}
		h.top = append(h.top, line)
	}
	return h
}

func (r *report) printProfiles(p func(string, ...any)) {
	for _, h := range r.profiles {
		p("")
		p("operator's live Go heap %s (go tool pprof -top -sample_index=inuse_space %s):", h.when, h.path)
		for _, l := range h.top {
			p("  %s", l)
		}
	}
}
