// Package imageconfig reads, at admission, what an image runs when a container does not say
// (its ENTRYPOINT and CMD), so that the pod webhook can wrap such a container as it wraps one
// with a command (docs/gate.md, "Containers without a command"). The pure part is Process and
// Command; Resolver reads image configurations from registries, with a cache keyed by digest,
// through the cluster's OpenShift mirrors where it has some (MirrorConfig, pure; MirrorWatcher
// keeps it current).
package imageconfig

import (
	"errors"
	"slices"
	"strings"
)

// Process is the part of an image's configuration that says what a container of it runs when
// its spec does not: the image's ENTRYPOINT and CMD, as the configuration holds them (the
// Dockerfile's shell form is already ["/bin/sh", "-c", "..."] there).
type Process struct {
	Entrypoint []string
	Cmd        []string
}

// Reasons Command cannot say what a container runs.
var (
	// ErrNoCommand: neither the image nor the container names a program; the container
	// runtime refuses to create such a container ("no command specified").
	ErrNoCommand = errors.New("the image has neither ENTRYPOINT nor CMD and the container has no args")
	// ErrEmptyEntrypoint: an ENTRYPOINT of one empty string, which containerd reads as no
	// ENTRYPOINT and CRI-O runs as the program "": the webhook cannot know which node's runtime
	// runs the container, so it does not guess.
	ErrEmptyEntrypoint = errors.New(`the image's ENTRYPOINT is [""], which container runtimes read differently`)
)

// Command returns the command to write into a container of this image whose spec has no
// command and the given args, so that the container, with these args unchanged, runs exactly
// what the container runtime would have run from the image:
//
//   - the container's args replace the image's CMD; without args, CMD applies;
//   - the ENTRYPOINT comes first; without one, the first word of args (or CMD) is the program;
//   - neither: an error (the runtime would refuse the container too).
//
// The image's words are escaped for the kubelet, which expands $(VAR) in command and args from
// the container's environment but never in the image's own ENTRYPOINT and CMD: every "$" of
// them becomes "$$", which the kubelet turns back into "$". The args, which the kubelet expanded
// before, stay as they are. The working directory, environment and user stay the image's, since
// the container still runs the same image.
func Command(p Process, args []string) ([]string, error) {
	if len(p.Entrypoint) == 1 && p.Entrypoint[0] == "" {
		return nil, ErrEmptyEntrypoint
	}
	command := escapeAll(p.Entrypoint)
	if len(args) == 0 {
		command = append(command, escapeAll(p.Cmd)...)
	}
	if len(command) == 0 && len(args) == 0 {
		return nil, ErrNoCommand
	}
	return command, nil
}

// Equal reports whether two processes run the same argv for every container.
func (p Process) Equal(o Process) bool {
	return slices.Equal(p.Entrypoint, o.Entrypoint) && slices.Equal(p.Cmd, o.Cmd)
}

func escapeAll(words []string) []string {
	out := make([]string, 0, len(words))
	for _, w := range words {
		out = append(out, strings.ReplaceAll(w, "$", "$$"))
	}
	return out
}
