#!/usr/bin/env bash
# Installs the Debian packages the local cluster (hack/cluster.sh) and the bundle tests need, with apt-get.
# Idempotent and quick: when the file each package provides is present it only checks files
# (and asks dpkg only about the packages whose file is missing).
#
# Packages and why:
#   containerd                   the container runtime (Debian 12: 1.6.x, CRI built in; config v2)
#   runc                         the OCI runtime containerd runs containers with
#   containernetworking-plugins  CNI bridge, host-local and loopback plugins in /usr/lib/cni
#   busybox-static               /bin/busybox, the content of the localhost/busybox image
#   iptables                     kube-proxy (iptables mode) and the kubelet's chains
#   conntrack                    kube-proxy clears stale UDP conntrack entries
#   openssl                      the cluster's certificates
#   gettext-base                 envsubst, which fills the cluster's configuration templates
#   jq                           reads the JSON of `go mod download -json` (hack/tools.sh,
#                                hack/build-olm.sh, hack/build-kube.sh)
#   iproute2                     the network namespace and its veth pair (ip)
#   util-linux, mount            nsenter, setsid, mountpoint; umount
#   procps                       sysctl
#   kmod                         modprobe (overlay, br_netfilter) on kernels with modules
#   prometheus                   promtool, which checks and unit-tests the alerting rules
#                                (make test-bundle); its server is never started
#   shfmt and shellcheck         make lint formats and checks the shell scripts with them
#
# The packages' own services are never started: the cluster runs its own containerd.
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# package -> a file it provides that we check for
declare -A want=(
	["containerd"]=/usr/bin/containerd
	["runc"]=/usr/sbin/runc
	["containernetworking-plugins"]=/usr/lib/cni/bridge
	["busybox-static"]=/bin/busybox
	["iptables"]=/usr/sbin/iptables
	["conntrack"]=/usr/sbin/conntrack
	["openssl"]=/usr/bin/openssl
	["gettext-base"]=/usr/bin/envsubst
	["jq"]=/usr/bin/jq
	["iproute2"]=/usr/sbin/ip
	["util-linux"]=/usr/bin/nsenter
	["mount"]=/usr/bin/umount
	["procps"]=/usr/sbin/sysctl
	["kmod"]=/usr/bin/kmod
	["prometheus"]=/usr/bin/promtool
	["shellcheck"]=/usr/bin/shellcheck
	["shfmt"]=/usr/bin/shfmt
)

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for pkg in "${!want[@]}"; do
	if [[ -e ${want[$pkg]} ]]; then
		continue
	fi
	# The file is missing: the package is not installed, or it is but lost the file.
	missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

# busybox (dynamic) conflicts with busybox-static; /bin/busybox is all we need from either,
# but only the static one runs inside an image with no libraries.
if [[ " ${missing[*]} " == *" busybox-static "* ]] && installed busybox; then
	log "replacing Debian package busybox with busybox-static"
fi

if [[ $(id -u) -ne 0 ]]; then
	die "need root to install: ${missing[*]}"
fi

log "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Never let a package start its own daemon (the cluster runs its own containerd): invoke-rc.d
# and deb-systemd-invoke ask policy-rc.d, and 101 means "action not allowed".
policy=/usr/sbin/policy-rc.d
created_policy=false
if [[ ! -e $policy ]]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	created_policy=true
fi
cleanup() { if $created_policy; then rm -f "$policy"; fi; }
trap cleanup EXIT

apt-get update -qq
# --reinstall brings back a file that was deleted from a package still installed.
apt-get install -y -qq --no-install-recommends --reinstall "${missing[@]}" >&2

for pkg in "${missing[@]}"; do
	if [[ ! -e ${want[$pkg]} ]]; then
		die "$pkg installed but ${want[$pkg]} is missing"
	fi
done

log "installed ${missing[*]}"
