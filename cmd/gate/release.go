package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The files of the downward API volume (their paths in the volume's items).
const (
	uidFile     = "uid"     // metadata.uid
	releaseFile = "release" // metadata.annotations['apps.statefulsingleton.com/release']
)

// released decides from the two files' contents whether the pod is released: the release
// annotation must name this pod's UID exactly (surrounding white space aside). An annotation
// copied into a pod template, or left on a pod by a revoked release of another UID, releases
// nothing; an empty or missing UID releases nothing.
func released(uid, release []byte) bool {
	u := bytes.Trim(uid, asciiSpace)
	return len(u) > 0 && bytes.Equal(u, bytes.Trim(release, asciiSpace))
}

// asciiSpace is the white space released ignores around the values (a UID is ASCII).
const asciiSpace = " \t\r\n"

// errNoPodinfo means the downward API volume is not mounted as the webhook mounts it: the gate
// fails closed rather than run an application it cannot guard.
var errNoPodinfo = errors.New("the pod's downward API volume is missing")

// readRelease reads the volume in dir and decides. The kubelet writes an absent annotation as
// an empty file; a missing file means the volume is not what the gate expects.
func readRelease(dir string) (bool, error) {
	uid, err := os.ReadFile(filepath.Join(dir, uidFile))
	if err != nil {
		return false, podinfoError(dir, err)
	}
	release, err := os.ReadFile(filepath.Join(dir, releaseFile))
	if err != nil {
		return false, podinfoError(dir, err)
	}
	return released(uid, release), nil
}

func podinfoError(dir string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w (%s): %w", errNoPodinfo, dir, err)
	}
	return err
}
