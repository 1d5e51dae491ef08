// Package memlimit gives the Go runtime a soft memory limit below the container's, so that the
// garbage collector works harder as the heap nears the limit instead of the kernel killing the
// process. The Go runtime does not read the container's memory limit itself; the manager's
// Deployment passes it in the environment through the downward API (resourceFieldRef
// limits.memory).
package memlimit

import (
	"fmt"
	"strconv"
	"strings"
)

// EnvContainerLimit is the environment variable that holds the container's memory limit in bytes.
const EnvContainerLimit = "MEMORY_LIMIT"

// Fraction of the container's limit given to the Go runtime: the rest is for what the runtime
// does not count (the binary, thread stacks outside the heap, the kernel's page cache of files).
const Fraction = 0.9

// Decide returns the soft limit to set, in bytes, and why; 0 means leave the runtime as it is:
// GOMEMLIMIT set (the operator's own choice wins), or no container limit.
func Decide(getenv func(string) string) (int64, string, error) {
	if v := getenv("GOMEMLIMIT"); v != "" {
		return 0, "GOMEMLIMIT=" + v + " is set", nil
	}
	raw := strings.TrimSpace(getenv(EnvContainerLimit))
	if raw == "" {
		return 0, "no container memory limit (" + EnvContainerLimit + " unset)", nil
	}
	limit, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || limit <= 0 {
		return 0, "", fmt.Errorf("%s=%q is not a number of bytes", EnvContainerLimit, raw)
	}
	soft := int64(float64(limit) * Fraction)
	return soft, fmt.Sprintf("%.0f%% of the container's memory limit of %d bytes", Fraction*100, limit), nil
}
