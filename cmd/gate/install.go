package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// installedName is the gate's file name in the install directory.
const installedName = "gate"

// runInstall copies the running binary to DIR/gate (mode 0555, readable and executable by
// any UID, as the app container may run as another user than this init container). It writes
// a temporary file and renames it, so a restarted init container never leaves half a binary.
func runInstall(args []string) int {
	if len(args) != 1 || args[0] == "" {
		fmt.Fprintf(os.Stderr, "gate: install needs exactly one directory\n%s", usage)
		return exitUsage
	}
	if err := install(args[0]); err != nil {
		fmt.Fprintf(os.Stderr, "gate: install: %v\n", err)
		return exitError
	}
	return exitOK
}

func install(dir string) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	src, err := os.Open(self)
	if err != nil {
		return err
	}
	defer func() { _ = src.Close() }()
	tmp, err := os.CreateTemp(dir, "."+installedName+"-*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // a no-op once renamed
	if _, err := io.Copy(tmp, src); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("copy %s: %w", self, err)
	}
	if err := tmp.Chmod(0o555); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, installedName))
}
