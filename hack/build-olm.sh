#!/usr/bin/env bash
# Builds the two operators of OLM v0 (the olm operator, cmd/olm, and the catalog operator,
# cmd/catalog) of the version pinned below from the Go module proxy, and copies OLM's CRDs
# (deploy/chart/crds) beside them, under $SINGLETON_CACHE (never inside the repository):
#
#   $OLM_DIR/bin/olm  $OLM_DIR/bin/catalog   $OLM_DIR/crds/*.yaml
#
# hack/test-olm.sh runs them as local processes inside the local cluster's network namespace.
#
# Usage:
#   hack/build-olm.sh              build what is missing; the last line of stdout is the bin dir
#   hack/build-olm.sh --print-dir  only print the bin dir
#
# `go install module@version` is refused for OLM (the proxy refuses the module's version list),
# so the module is fetched with `go mod download -json`, copied out of the read-only module
# cache into $OLM_DIR/src (kept, so a rebuild reuses the Go build cache) and built inside the
# copy with OLM's own version ldflags and the `json1` tag. A warm run takes a second; a cold one
# a few minutes on two cores.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=hack/lib.sh
source "${HACK_DIR}/lib.sh"
# shellcheck source=hack/env.sh
source "${HACK_DIR}/env.sh"

# OLM v0, github.com/operator-framework/operator-lifecycle-manager.
OLM_VERSION="${OLM_VERSION:-v0.42.0}"
OLM_MODULE=github.com/operator-framework/operator-lifecycle-manager
[[ "${SINGLETON_CACHE}" == /* ]] || SINGLETON_CACHE="${PWD}/${SINGLETON_CACHE}"
OLM_DIR="${OLM_DIR:-${SINGLETON_CACHE}/olm-${OLM_VERSION}}"
BIN_DIR="${OLM_DIR}/bin"

case "${1:-}" in
--print-dir)
	echo "${BIN_DIR}"
	exit 0
	;;
"") ;;
-h | --help)
	print_help
	exit 0
	;;
*) usage_error "[--print-dir]" ;;
esac

src="${OLM_DIR}/src"
if [[ ! -f "${src}/.complete" ]]; then
	need_commands jq
	info="$(go mod download -json "${OLM_MODULE}@${OLM_VERSION}")"
	dir="$(jq -r '.Dir // empty' <<<"${info}")"
	[[ -n "${dir}" && -d "${dir}" ]] || die "go mod download ${OLM_MODULE}@${OLM_VERSION} gave no directory"
	rm -rf "${src}"
	mkdir -p "${OLM_DIR}"
	cp -R "${dir}" "${src}"
	chmod -R u+w "${src}"
	# The commit of the tag as the proxy recorded it, for the version ldflags.
	jq -r '.Origin.Hash // empty' <<<"${info}" >"${src}/.commit"
	touch "${src}/.complete"
fi

mkdir -p "${BIN_DIR}"
version_pkg="${OLM_MODULE}/pkg/version"
ldflags="-s -w -X ${version_pkg}.OLMVersion=${OLM_VERSION} -X ${version_pkg}.GitCommit=$(cat "${src}/.commit")"
for cmd in olm catalog; do
	out="${BIN_DIR}/${cmd}"
	[[ -x "${out}" ]] && continue
	log "building ${OLM_MODULE}/cmd/${cmd}@${OLM_VERSION} in ${src}"
	start=${SECONDS}
	# The catalog operator reaches catalogs over gRPC only (no sqlite here): no cgo needed.
	# GOFLAGS=-mod=mod: the copy has no vendor/; GOWORK=off: never a go.work from a parent.
	(cd "${src}" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 \
		go build -trimpath -tags json1 -ldflags "${ldflags}" -o "${out}.tmp" "./cmd/${cmd}")
	mv "${out}.tmp" "${out}"
	log "built ${out} in $((SECONDS - start))s"
done

# OLM's CRDs (CatalogSource, ClusterServiceVersion, InstallPlan, OLMConfig, OperatorCondition,
# OperatorGroup, Operator, Subscription), as its Helm chart ships them.
if [[ ! -f "${OLM_DIR}/crds/.complete" ]]; then
	rm -rf "${OLM_DIR}/crds"
	mkdir -p "${OLM_DIR}/crds"
	cp "${src}"/deploy/chart/crds/*.yaml "${OLM_DIR}/crds/"
	touch "${OLM_DIR}/crds/.complete"
fi

echo "${BIN_DIR}"
