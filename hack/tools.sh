#!/usr/bin/env bash
# Builds the tools whose module the Go module proxy serves but `go install mod@version` cannot
# install (the proxy refuses their version list, and their go.mod carries replace directives):
#
#   hack/tools.sh operator-sdk <version> <output>   github.com/operator-framework/operator-sdk
#   hack/tools.sh opm <version> <output>            github.com/operator-framework/operator-registry
#
# The module is fetched with `go mod download`, copied out of the read-only module cache into
# $SINGLETON_CACHE/tools-src/<name>-<version> (kept, so a rebuild reuses the Go build cache; not
# $SINGLETON_CACHE/src, whose foreign entries hack/build-kube.sh removes), and built
# inside the copy with the version ldflags of the project's own Makefile, so that
# `<tool> version` prints the pinned version. The Makefile calls this; see its Tools section.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=hack/lib.sh
source "${HACK_DIR}/lib.sh"
# shellcheck source=hack/env.sh
source "${HACK_DIR}/env.sh"

usage() { usage_error "{operator-sdk|opm} <version> <output>"; }

# fetch_copy <module> <version> prints the directory of a writable copy of module@version.
fetch_copy() {
	local module=$1 version=$2 name dir src
	name="$(basename "${module}")-${version}"
	dir="${SINGLETON_CACHE}/tools-src/${name}"
	if [[ ! -f "${dir}/.complete" ]]; then
		local info src
		info="$(go mod download -json "${module}@${version}")"
		src="$(jq -r '.Dir // empty' <<<"${info}")"
		[[ -n "${src}" && -d "${src}" ]] || die "go mod download ${module}@${version} gave no directory"
		rm -rf "${dir}"
		mkdir -p "$(dirname "${dir}")"
		cp -R "${src}" "${dir}"
		chmod -R u+w "${dir}"
		# The commit of the tag, as the proxy recorded it, for the version ldflags.
		jq -r '.Origin.Hash // empty' <<<"${info}" >"${dir}/.commit"
		touch "${dir}/.complete"
	fi
	echo "${dir}"
}

# commit_of <module> <version> prints the commit fetch_copy recorded for module@version.
commit_of() {
	cat "$(fetch_copy "$1" "$2")/.commit"
}

# build_in_copy <module> <version> <output> <package> <tags> <ldflags>
build_in_copy() {
	local module=$1 version=$2 output=$3 pkg=$4 tags=$5 ldflags=$6 dir start
	[[ "${output}" == /* ]] || output="${PWD}/${output}"
	dir="$(fetch_copy "${module}" "${version}")"
	log "building ${module}/${pkg#./}@${version} in ${dir}"
	start=${SECONDS}
	# GOFLAGS=-mod=mod: the copy has no vendor/ to use; GOWORK=off: never pick up a go.work
	# from a parent directory.
	(cd "${dir}" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED="${CGO_ENABLED:-0}" \
		go build -trimpath -tags "${tags}" -ldflags "${ldflags}" -o "${output}.tmp" "${pkg}")
	mv "${output}.tmp" "${output}"
	log "built ${output} in $((SECONDS - start))s"
}

need_commands jq
[[ $# -eq 3 ]] || usage
tool=$1 version=$2 output=$3

case "${tool}" in
operator-sdk)
	mod=github.com/operator-framework/operator-sdk
	# The kubebuilder and Kubernetes versions operator-sdk reports; from its Makefile.
	k8s_version=v1.33.1
	build_in_copy "${mod}" "${version}" "${output}" ./cmd/operator-sdk containers_image_openpgp \
		"-s -w -X ${mod}/internal/version.Version=${version} \
		-X ${mod}/internal/version.GitVersion=${version} \
		-X ${mod}/internal/version.GitCommit=$(commit_of "${mod}" "${version}") \
		-X ${mod}/internal/version.KubernetesVersion=${k8s_version} \
		-X ${mod}/internal/version.ImageVersion=${version}"
	;;
opm)
	mod=github.com/operator-framework/operator-registry
	# The sqlite index commands need cgo; the file-based catalog commands this project uses
	# do not, so opm is built without it.
	build_in_copy "${mod}" "${version}" "${output}" ./cmd/opm json1,containers_image_openpgp \
		"-s -w -X ${mod}/cmd/opm/version.opmVersion=${version} \
		-X ${mod}/cmd/opm/version.gitCommit=$(commit_of "${mod}" "${version}")"
	;;
*)
	usage
	;;
esac
