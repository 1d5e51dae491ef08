package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The files a supervising gate keeps per container in the pod's state directory (an emptyDir,
// so they outlive a restart of the container, not the pod).
const (
	startsSuffix       = ".starts"        // how many times the gate of this container started
	exitReportedSuffix = ".exit-reported" // an earlier start of this container reported its exit
)

// countStart counts one more start of container in dir and returns the new count, from 1. The
// count is written to a temporary file that is synced and renamed over the old one, so a crash
// leaves the old count or the new one, never a torn file. A file that does not hold a count
// fails the start: the operator orders reports by it.
func countStart(dir, container string) (int, error) {
	path := filepath.Join(dir, container+startsSuffix)
	n := 0
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return 0, err
	default:
		n, err = strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%s does not hold a start count: %q", path, b)
		}
	}
	n++
	if err := writeDurably(path, []byte(strconv.Itoa(n)+"\n")); err != nil {
		return 0, err
	}
	return n, nil
}

// markerPath is the exit-reported marker of container in dir.
func markerPath(dir, container string) string {
	return filepath.Join(dir, container+exitReportedSuffix)
}

// hasMarker reports whether an earlier start of container reported (or tried to report) its
// exit.
func hasMarker(dir, container string) (bool, error) {
	_, err := os.Lstat(markerPath(dir, container))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, err
	}
}

// writeMarker records, durably, that start of container is about to report its exit. It is
// written before the report is sent: a report can reach the operator even when its answer
// never comes back, and the next start of the container must then register before it runs.
func writeMarker(dir, container string, start int) error {
	return writeDurably(markerPath(dir, container), []byte(strconv.Itoa(start)+"\n"))
}

// removeMarker removes the marker once the operator allowed a new start, durably.
func removeMarker(dir, container string) error {
	if err := os.Remove(markerPath(dir, container)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(dir)
}

// writeDurably replaces path with data: a synced temporary file renamed over it, then the
// directory synced.
func writeDurably(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // a no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer func() { _ = d.Close() }()
	return d.Sync()
}
