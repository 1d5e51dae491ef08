package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// errNotFound is the error of a command that no directory of PATH holds.
var errNotFound = errors.New("executable file not found in $PATH")

// lookPath finds the program the container runtime would run for argv[0] = file: a name with a
// slash is used as it is (relative to the working directory); a bare name is searched in the
// directories of pathEnv, the container's PATH, in order, an empty entry meaning the working
// directory. runc does the same (Go's exec.LookPath on the container's environment, relative
// results accepted). executable reports whether a path names an executable regular file.
func lookPath(file, pathEnv string, executable func(string) bool) (string, error) {
	if file == "" {
		return "", fmt.Errorf("exec: empty command: %w", errNotFound)
	}
	if strings.Contains(file, "/") {
		if !executable(file) {
			return "", fmt.Errorf("exec: %q: no such executable file", file)
		}
		return file, nil
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		candidate := filepath.Join(dir, file)
		if dir == "." {
			candidate = "./" + file
		}
		if executable(candidate) {
			return candidate, nil
		}
	}
	return "", fmt.Errorf("exec: %q: %w", file, errNotFound)
}

// isExecutable is lookPath's executable on the real file system: a regular file (after
// symlinks) with an execute bit.
func isExecutable(path string) bool {
	info, err := os.Stat(path)
	if err != nil {
		return false
	}
	return info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0
}
