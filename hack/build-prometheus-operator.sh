#!/usr/bin/env bash
# Usage: hack/build-prometheus-operator.sh
#
# Builds the Prometheus Operator (PROMETHEUS_OPERATOR_VERSION, hack/env.sh) from the Go module
# proxy, caches it under $SINGLETON_CACHE/prometheus-operator, and prints the binary's path.
# The e2e suite runs it as a local process against the local cluster, configured as OpenShift's
# user-workload monitoring configures its own (test/e2e/monitoring_test.go).
#
# `go install module/cmd/operator@version` refuses this module: its go.mod replaces its own API
# and client modules by folders that its module zip leaves out. So the source is copied, the two
# replaces dropped, and the two modules taken from the proxy at the same version.
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=hack/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
need_commands jq

out="${SINGLETON_CACHE}/prometheus-operator/operator-${PROMETHEUS_OPERATOR_VERSION}"
module=github.com/prometheus-operator/prometheus-operator
build_module_command "${module}" "${PROMETHEUS_OPERATOR_VERSION}" ./cmd/operator "${out}" \
	-dropreplace "${module}/pkg/apis/monitoring" -dropreplace "${module}/pkg/client"
echo "${out}"
