// Package dashboard reads the operator's dashboard (config/grafana/singleton-operator.json),
// asks a Prometheus for the series of its panels over a time range, and draws them as simple
// line charts in one SVG file. The e2e suite (test/e2e, label monitoring) runs it against its
// real Prometheus after the fault scenarios; the picture in docs/monitoring.md
// (docs/images/dashboard.svg) is what it drew.
package dashboard
