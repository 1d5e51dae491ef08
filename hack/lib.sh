# shellcheck shell=bash
# What the scripts in hack/ share: logging, failing, and the usage text their header comment
# holds. Source it before any `cd`; it defines functions, LOG_NAME's default and SCRIPT_PATH.
#
#   log MSG...              "[NAME mm:ss] MSG" on stderr; NAME is $LOG_NAME (default: the
#                           script's name without .sh), mm:ss the time since it started
#   die MSG...              log "ERROR: MSG" and exit 1
#   print_help              print the script's header comment (from the line after #! to the
#                           line before `set -euo pipefail`), without the leading "# "
#   usage_error [MSG]       print "usage: SCRIPT MSG" (without MSG: the header) on stderr, exit 2
#   want_args N MSG ARG...  usage_error MSG unless there are exactly N ARGs
#   need_commands CMD...    run hack/install-deps.sh when one of the commands is missing

LOG_NAME="${LOG_NAME:-$(basename "$0" .sh)}"
# The running script, absolute, so that print_help finds it after a `cd`.
SCRIPT_PATH="$(realpath "$0")"
LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

log() {
	printf '[%s %02d:%02d] %s\n' "${LOG_NAME}" $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2
}

die() {
	log "ERROR: $*"
	exit 1
}

print_help() {
	sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${SCRIPT_PATH}"
}

usage_error() {
	if (($# > 0)); then
		echo "usage: $0 $*" >&2
	else
		print_help >&2
	fi
	exit 2
}

want_args() {
	local n="$1" msg="$2"
	shift 2
	(($# == n)) || usage_error "${msg}"
}

need_commands() {
	local c
	for c in "$@"; do
		if ! command -v "${c}" >/dev/null 2>&1; then
			"${LIB_DIR}/install-deps.sh"
			return
		fi
	done
}

# build_module_command MODULE VERSION PACKAGE OUT [go mod edit flags...]
# Builds PACKAGE (a folder of MODULE, e.g. ./cmd/operator) at VERSION from the Go module proxy
# into OUT, once: with the module as the main module (so that its replace directives apply),
# after `go mod edit` with the flags given, if any. Concurrent callers wait on a lock beside OUT.
build_module_command() {
	local module=$1 version=$2 package=$3 out=$4
	shift 4
	[[ -x ${out} ]] && return 0
	mkdir -p "$(dirname "${out}")"
	exec 9>"${out}.lock"
	flock 9
	if [[ ! -x ${out} ]]; then
		log "building ${module}/${package#./}@${version} (a few minutes, once)"
		local src work
		src="$(cd "$(dirname "${out}")" && go mod download -json "${module}@${version}" | jq -r .Dir)"
		work="${out}.src"
		rm -rf "${work}"
		cp -R "${src}" "${work}"
		chmod -R u+w "${work}"
		(
			cd "${work}" || exit 1
			if (($# > 0)); then go mod edit "$@"; fi
			GOFLAGS=-mod=mod go build -trimpath -o "${out}.tmp" "${package}"
		)
		mv "${out}.tmp" "${out}"
		rm -rf "${work}"
	fi
	exec 9>&-
}
