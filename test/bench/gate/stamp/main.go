// Command stamp is the application of the gate benchmark: its first act is to print the time
// it started and the argv it got, as one JSON line on stdout; then it waits for SIGTERM or
// SIGINT and exits 0. It has no shell and is meant to be an image's ENTRYPOINT.
package main

import (
	"encoding/json"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Line is what stamp prints; the benchmark decodes it.
type Line struct {
	StartUnixNano int64    `json:"startUnixNano"`
	Argv          []string `json:"argv"`
}

func main() {
	start := time.Now().UnixNano()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	_ = json.NewEncoder(os.Stdout).Encode(Line{StartUnixNano: start, Argv: os.Args})
	<-signals
}
