package reportedstate

import (
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
)

// relay forwards TCP connections from a loopback port to an API server. Cutting it makes the
// server unreachable through its URL (and closes the connections open through it); resuming
// listens on the same port again.
type relay struct {
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
}

func startRelay(targetURL string) (*relay, error) {
	u, err := url.Parse(targetURL)
	if err != nil {
		return nil, err
	}
	r := &relay{target: u.Host, addr: "127.0.0.1:0", conns: map[net.Conn]struct{}{}}
	if err := r.Resume(); err != nil {
		return nil, err
	}
	return r, nil
}

// URL is the relay's https URL.
func (r *relay) URL() string { return "https://" + r.addr }

// Resume listens again.
func (r *relay) Resume() error {
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.ln, r.addr = ln, ln.Addr().String()
	r.mu.Unlock()
	go r.serve(ln)
	return nil
}

// Cut stops listening and closes every connection open through the relay.
func (r *relay) Cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ln != nil {
		_ = r.ln.Close()
		r.ln = nil
	}
	for c := range r.conns {
		_ = c.Close()
		delete(r.conns, c)
	}
}

// Close is Cut, for DeferCleanup.
func (r *relay) Close() { r.Cut() }

func (r *relay) serve(ln net.Listener) {
	for {
		in, err := ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", r.target)
		if err != nil {
			_ = in.Close()
			continue
		}
		r.mu.Lock()
		if r.ln != ln {
			r.mu.Unlock()
			_ = in.Close()
			_ = out.Close()
			return
		}
		r.conns[in], r.conns[out] = struct{}{}, struct{}{}
		r.mu.Unlock()
		go r.pipe(in, out)
		go r.pipe(out, in)
	}
}

func (r *relay) pipe(dst, src net.Conn) {
	_, err := io.Copy(dst, src)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		_ = err // a cut connection ends the copy
	}
	_ = dst.Close()
	_ = src.Close()
	r.mu.Lock()
	delete(r.conns, dst)
	delete(r.conns, src)
	r.mu.Unlock()
}
