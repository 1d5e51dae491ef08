package main

import (
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// buildInfo is singleton_operator_build_info: 1, labeled with what was built, so that a
// dashboard or an alert can tell which version of the operator each replica runs (during an
// OLM upgrade, two at once).
var buildInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "singleton_operator_build_info",
	Help: "1, labeled with the operator's version, the source revision it was built from, and its Go version.",
}, []string{"version", "revision", "goversion"})

// registerBuildInfo registers buildInfo in controller-runtime's registry, which the metrics
// endpoint serves.
func registerBuildInfo(version string) {
	buildInfo.WithLabelValues(version, revision(), runtime.Version()).Set(1)
	metrics.Registry.MustRegister(buildInfo)
}

// revision is the VCS revision the binary was built from, "unknown" when the build recorded
// none (a build outside a git checkout, as in a container build that copies only the sources).
func revision() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}
