#!/usr/bin/env bash
# Builds the Kubernetes, etcd and kwok binaries of the versions pinned in hack/env.sh from the
# Go module proxy, into $KUBE_BIN_DIR (under the user cache, never inside the repository):
#
#   kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl
#                                                        from k8s.io/kubernetes@$KUBE_VERSION
#   etcd                                                 from go.etcd.io/etcd/server/v3@$ETCD_VERSION
#   kwok                                                 from sigs.k8s.io/kwok@$KWOK_VERSION
#
# The directory also serves as KUBEBUILDER_ASSETS for controller-runtime envtest (etcd,
# kube-apiserver, kubectl).
#
# Usage:
#   hack/build-kube.sh              build what is missing; the last line of stdout is the bin dir
#   hack/build-kube.sh --print-dir  only print the bin dir
#
# A binary is rebuilt only when it is missing or its --version does not print the pinned
# version, so a warm run takes seconds. Progress goes to stderr. Module sources are copied to
# $SINGLETON_CACHE/src and kept there, so a rebuild reuses the Go build cache.
#
# k8s.io/kubernetes is not buildable as a dependency: its module zip lacks staging/src/k8s.io/*
# (nested modules) which its go.mod replaces ~33 k8s.io/* modules with, and its vendor/ lacks
# the symlinks into staging. So the module is copied out of the module cache, vendor/ and
# go.work are removed, the staging replaces are dropped and the published k8s.io/* staging
# modules of the matching version (v0.X.Y for v1.X.Y) are required instead.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=hack/lib.sh
source "${HACK_DIR}/lib.sh"
# shellcheck source=hack/env.sh
source "${HACK_DIR}/env.sh"

# Make the bin dir absolute: the builds run in other directories.
[[ "${KUBE_BIN_DIR}" == /* ]] || KUBE_BIN_DIR="${PWD}/${KUBE_BIN_DIR}"
[[ "${SINGLETON_CACHE}" == /* ]] || SINGLETON_CACHE="${PWD}/${SINGLETON_CACHE}"

case "${1:-}" in
  --print-dir)
    echo "${KUBE_BIN_DIR}"
    exit 0
    ;;
  "") ;;
  -h | --help)
    print_help
    exit 0
    ;;
  *) usage_error "[--print-dir]" ;;
esac

need_commands jq
SRC_DIR="${SINGLETON_CACHE}/src"

KUBE_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
ALL_BINARIES=("${KUBE_BINARIES[@]}" etcd kwok)
TOTAL=${#ALL_BINARIES[@]}

# index_of NAME: the 1-based position of NAME in ALL_BINARIES, for progress messages.
index_of() {
  local i
  for i in "${!ALL_BINARIES[@]}"; do
    if [[ "${ALL_BINARIES[$i]}" == "$1" ]]; then
      echo $((i + 1))
      return
    fi
  done
  echo "?"
}

# expected_version NAME: a line that `version_output NAME` prints when NAME is the pinned version.
expected_version() {
  case "$1" in
    kubectl) echo "Client Version: ${KUBE_VERSION}" ;;
    etcd) echo "etcd Version: ${ETCD_VERSION#v}" ;;
    kwok) echo "kwok version ${KWOK_VERSION}" ;;
    *) echo "Kubernetes ${KUBE_VERSION}" ;;
  esac
}

# version_output NAME: what the binary NAME in the bin dir says its version is.
version_output() {
  local bin="${KUBE_BIN_DIR}/$1"
  case "$1" in
    kubectl) timeout 20 "${bin}" version --client 2>&1 ;;
    *) timeout 20 "${bin}" --version 2>&1 ;;
  esac
}

# is_current NAME: the binary exists and prints the pinned version.
is_current() {
  local want out
  [[ -x "${KUBE_BIN_DIR}/$1" ]] || return 1
  want="$(expected_version "$1")"
  out="$(version_output "$1")" || return 1
  # kwok appends " go1.x (linux/amd64)", the others print whole lines.
  grep -qxF -e "${want}" <<<"${out}" || grep -qF -e "${want} " <<<"${out}"
}

# go_env: the environment shared by every build.
# CGO_ENABLED=0: all static (Kubernetes builds all but the kubelet static; the kubelet builds
# and runs static as well), needs no C toolchain, and every binary shares one build cache.
# GOWORK=off: no go.work of the user applies. GOFLAGS is cleared so that a -mod=vendor or
# similar of the user does not apply; the needed flags are passed explicitly.
go_env() {
  env CGO_ENABLED=0 GOWORK=off GOFLAGS= "$@"
}

GO_BUILD_FLAGS=(-mod=mod -trimpath -buildvcs=false)

# module_dir MODULE VERSION: download MODULE@VERSION into the module cache and print its dir.
module_dir() {
  local json dir
  json="$(go_env go mod download -json "$1@$2")" || die "go mod download $1@$2 failed: ${json}"
  dir="$(jq -r '.Dir // empty' <<<"${json}")"
  [[ -n "${dir}" && -d "${dir}" ]] || die "no source dir for $1@$2: ${json}"
  echo "${dir}"
}

# module_info MODULE VERSION: the .info the module proxy serves for MODULE@VERSION (one line of
# JSON: Version, Time, and for some modules Origin with the git Hash).
module_info() {
  local json info
  json="$(go_env go mod download -json "$1@$2")" || return 0
  info="$(jq -r '.Info // empty' <<<"${json}")"
  [[ -f "${info}" ]] && cat "${info}"
  return 0
}

# module_time MODULE VERSION: the commit time of the tag (RFC 3339), or nothing.
module_time() {
  module_info "$1" "$2" | jq -r '.Time // empty'
}

# module_commit MODULE VERSION: the git commit of the tag if the proxy recorded it, or nothing.
module_commit() {
  module_info "$1" "$2" | jq -r '.Origin.Hash // empty'
}

# copy_module MODULE VERSION DEST: copy MODULE@VERSION out of the module cache to DEST (writable),
# unless DEST was already prepared (stamp .prepared). Prints nothing.
copy_module() {
  local module="$1" version="$2" dest="$3" src
  if [[ -f "${dest}/.prepared" ]]; then
    return 0
  fi
  log "    copying ${module}@${version} to ${dest}"
  src="$(module_dir "${module}" "${version}")"
  rm -rf "${dest}"
  mkdir -p "$(dirname "${dest}")"
  cp -R "${src}" "${dest}.tmp.$$"
  chmod -R u+w "${dest}.tmp.$$"
  mv "${dest}.tmp.$$" "${dest}"
}

# --- Kubernetes -----------------------------------------------------------------------------

prepare_kubernetes() {
  local dest="$1" staging edit_args=() m
  copy_module k8s.io/kubernetes "${KUBE_VERSION}" "${dest}"
  [[ -f "${dest}/.prepared" ]] && return 0
  rm -rf "${dest}/vendor" "${dest}/go.work" "${dest}/go.work.sum"
  # The modules that go.mod replaces with ./staging/src/k8s.io/<name>, in a replace block or
  # on a replace line.
  mapfile -t staging < <(sed -n -E \
    's#^[[:space:]]*(replace[[:space:]]+)?(k8s\.io/[^[:space:]]+)([[:space:]]+v[^[:space:]]+)?[[:space:]]*=>[[:space:]]*\./staging/src/.*#\2#p' \
    "${dest}/go.mod")
  [[ ${#staging[@]} -gt 0 ]] || die "no staging replaces found in ${dest}/go.mod"
  # v1.X.Y of Kubernetes is published as v0.X.Y of its staging modules.
  local staging_version="v0.${KUBE_VERSION#v1.}"
  for m in "${staging[@]}"; do
    edit_args+=("-dropreplace=${m}" "-require=${m}@${staging_version}")
  done
  (cd "${dest}" && go_env go mod edit -toolchain=none "${edit_args[@]}")
  log "    replaced ${#staging[@]} staging modules with their published ${staging_version}"
  touch "${dest}/.prepared"
}

kube_ldflags() {
  local build_date="$1" commit="$2" major minor ldflags=(-s -w) key val pkg
  major="${KUBE_VERSION#v}"
  major="${major%%.*}"
  minor="${KUBE_VERSION#v*.}"
  minor="${minor%%.*}"
  # What hack/lib/version.sh of Kubernetes sets, for both packages that carry the version.
  # gitCommit is left empty when the module proxy does not record it, rather than the
  # placeholder "$Format:%H$".
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    for key in gitVersion gitMajor gitMinor gitTreeState buildDate gitCommit; do
      case "${key}" in
        gitVersion) val="${KUBE_VERSION}" ;;
        gitMajor) val="${major}" ;;
        gitMinor) val="${minor}" ;;
        gitTreeState) val=clean ;;
        buildDate) val="${build_date}" ;;
        gitCommit) val="${commit}" ;;
      esac
      ldflags+=("-X=${pkg}.${key}=${val}")
    done
  done
  echo "${ldflags[*]}"
}

build_kubernetes() {
  local missing=() b pkgs=() dest="${SRC_DIR}/kubernetes-${KUBE_VERSION}" build_date commit t0
  for b in "${KUBE_BINARIES[@]}"; do
    if is_current "${b}"; then
      log "==> ${b} ($(index_of "${b}")/${TOTAL}) is up to date"
    else
      missing+=("${b}")
    fi
  done
  [[ ${#missing[@]} -gt 0 ]] || return 0

  prepare_kubernetes "${dest}"
  build_date="$(module_time k8s.io/kubernetes "${KUBE_VERSION}")"
  [[ -n "${build_date}" ]] || build_date="1970-01-01T00:00:00Z"
  commit="$(module_commit k8s.io/kubernetes "${KUBE_VERSION}")"

  for b in "${missing[@]}"; do
    log "==> building ${b} ($(index_of "${b}")/${TOTAL}) from k8s.io/kubernetes@${KUBE_VERSION}"
    # go build does not overwrite a file that is not a Go binary (a stub, a partial copy).
    rm -f "${KUBE_BIN_DIR}/${b}"
    pkgs+=("./cmd/${b}")
  done
  t0=${SECONDS}
  # One go build for all of them rather than one each: the compiles of one overlap with the
  # single-threaded tail (last packages, link) of another. Measured cold on 2 cores: 544 s
  # versus 611 s for six go builds in a row (noisy: the machine was shared).
  log "    one go build for: ${missing[*]} (cold, all 6: ~9 min on 2 idle cores)"
  (cd "${dest}" && go_env go build "${GO_BUILD_FLAGS[@]}" \
    -ldflags "$(kube_ldflags "${build_date}" "${commit}")" -o "${KUBE_BIN_DIR}/" "${pkgs[@]}")
  log "    built ${missing[*]} in $((SECONDS - t0))s"
}

# --- etcd -----------------------------------------------------------------------------------

build_etcd() {
  local dest="${SRC_DIR}/etcd-server-${ETCD_VERSION}" t0 edit_args=() m commit ldflags=(-s -w)
  if is_current etcd; then
    log "==> etcd ($(index_of etcd)/${TOTAL}) is up to date"
    return 0
  fi
  t0=${SECONDS}
  log "==> building etcd ($(index_of etcd)/${TOTAL}) from go.etcd.io/etcd/server/v3@${ETCD_VERSION}"
  copy_module go.etcd.io/etcd/server/v3 "${ETCD_VERSION}" "${dest}"
  if [[ ! -f "${dest}/.prepared" ]]; then
    # go.mod replaces the other etcd modules with ../api, ../pkg, ...: the etcd repository
    # layout. Use the published modules of the same version instead.
    for m in go.etcd.io/etcd/api/v3 go.etcd.io/etcd/client/pkg/v3 go.etcd.io/etcd/client/v3 go.etcd.io/etcd/pkg/v3; do
      edit_args+=("-dropreplace=${m}" "-require=${m}@${ETCD_VERSION}")
    done
    (cd "${dest}" && go_env go mod edit -toolchain=none "${edit_args[@]}")
    touch "${dest}/.prepared"
  fi
  # The version is a constant of go.etcd.io/etcd/api/v3/version. Its GitSHA is set only when
  # the module proxy recorded the commit; otherwise it keeps etcd's "Not provided" default.
  commit="$(module_commit go.etcd.io/etcd/server/v3 "${ETCD_VERSION}")"
  [[ -z "${commit}" ]] || ldflags+=("-X=go.etcd.io/etcd/api/v3/version.GitSHA=${commit:0:10}")
  rm -f "${KUBE_BIN_DIR}/etcd"
  (cd "${dest}" && go_env go build "${GO_BUILD_FLAGS[@]}" -ldflags "${ldflags[*]}" \
    -o "${KUBE_BIN_DIR}/etcd" .)
  log "    built etcd in $((SECONDS - t0))s"
}

# --- kwok -----------------------------------------------------------------------------------

build_kwok() {
  local dest="${SRC_DIR}/kwok-${KWOK_VERSION}" t0
  if is_current kwok; then
    log "==> kwok ($(index_of kwok)/${TOTAL}) is up to date"
    return 0
  fi
  t0=${SECONDS}
  log "==> building kwok ($(index_of kwok)/${TOTAL}) from sigs.k8s.io/kwok@${KWOK_VERSION}"
  copy_module sigs.k8s.io/kwok "${KWOK_VERSION}" "${dest}"
  if [[ ! -f "${dest}/.prepared" ]]; then
    (cd "${dest}" && go_env go mod edit -toolchain=none)
    touch "${dest}/.prepared"
  fi
  rm -f "${KUBE_BIN_DIR}/kwok"
  # consts.Version is what `kwok --version` prints; consts.KubeVersion is the Kubernetes
  # version kwok's tooling assumes by default.
  (cd "${dest}" && go_env go build "${GO_BUILD_FLAGS[@]}" \
    -ldflags "-s -w -X=sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v} -X=sigs.k8s.io/kwok/pkg/consts.KubeVersion=${KUBE_VERSION}" \
    -o "${KUBE_BIN_DIR}/kwok" ./cmd/kwok)
  log "    built kwok in $((SECONDS - t0))s"
}

# --- main -----------------------------------------------------------------------------------

# Everything but the final line goes to stderr, whatever a tool prints.
exec 3>&1 1>&2

command -v go >/dev/null || die "go is not installed (it is the only requirement)"
mkdir -p "${KUBE_BIN_DIR}" "${SRC_DIR}"

# One build at a time (two make targets may run this concurrently).
if command -v flock >/dev/null; then
  exec 4>"${SINGLETON_CACHE}/build-kube.lock"
  if ! flock -n 4; then
    log "waiting for another hack/build-kube.sh to finish"
    flock 4
  fi
fi

# Source copies of other versions, and of interrupted copies, only take space.
for d in "${SRC_DIR}"/*; do
  [[ -e "${d}" ]] || continue
  case "${d##*/}" in
    "kubernetes-${KUBE_VERSION}" | "etcd-server-${ETCD_VERSION}" | "kwok-${KWOK_VERSION}") ;;
    *)
      log "    removing stale ${d}"
      rm -rf "${d}"
      ;;
  esac
done

build_kubernetes
build_etcd
build_kwok

failed=0
for b in "${ALL_BINARIES[@]}"; do
  if ! is_current "${b}"; then
    log "ERROR: ${KUBE_BIN_DIR}/${b} does not print '$(expected_version "${b}")'"
    failed=1
  fi
done
[[ ${failed} -eq 0 ]] || exit 1
log "==> ${TOTAL}/${TOTAL} ready: Kubernetes ${KUBE_VERSION}, etcd ${ETCD_VERSION}, kwok ${KWOK_VERSION} in ${KUBE_BIN_DIR}"
echo "${KUBE_BIN_DIR}" >&3
