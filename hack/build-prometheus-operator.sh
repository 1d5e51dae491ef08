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

version="${PROMETHEUS_OPERATOR_VERSION}"
module=github.com/prometheus-operator/prometheus-operator
dir="${SINGLETON_CACHE}/prometheus-operator"
out="${dir}/operator-${version}"
if [[ -x ${out} ]]; then
	echo "${out}"
	exit 0
fi
mkdir -p "${dir}"
exec 9>"${dir}/build.lock"
flock 9
if [[ ! -x ${out} ]]; then
	log "building ${module}/cmd/operator@${version} (a few minutes, once)"
	src="$(cd "${dir}" && go mod download -json "${module}@${version}" | jq -r .Dir)"
	work="${dir}/src-${version}"
	rm -rf "${work}"
	cp -R "${src}" "${work}"
	chmod -R u+w "${work}"
	(
		cd "${work}"
		go mod edit -dropreplace "${module}/pkg/apis/monitoring" -dropreplace "${module}/pkg/client"
		GOFLAGS=-mod=mod go build -trimpath -o "${out}.tmp" ./cmd/operator
	)
	mv "${out}.tmp" "${out}"
	rm -rf "${work}"
fi
echo "${out}"
