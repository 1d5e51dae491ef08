package main

import (
	"os"
	"syscall"
)

// extraForwarded are the Linux-only signals a supervising gate forwards: SIGSTKFLT, SIGPWR and
// the real-time signals SIGRTMIN (34) to SIGRTMAX (64).
var extraForwarded = func() []os.Signal {
	s := []os.Signal{syscall.SIGSTKFLT, syscall.SIGPWR}
	for n := 34; n <= 64; n++ {
		s = append(s, syscall.Signal(n))
	}
	return s
}()
