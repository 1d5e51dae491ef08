# shellcheck shell=bash disable=SC2154,SC2153 # the layout's variables are set in hack/cluster/layout.sh
# What the local cluster changes on the machine outside its own directories, recorded by `up` and
# put back by `down` (sourced by hack/cluster.sh): the kernel settings the kubelet sets, the
# fixed paths the kubelet, libcni and containerd's shims write to, the mounts under the
# cluster's directories, and the kubepods cgroups.

# --- kernel settings --------------------------------------------------------------------------

save_sysctls() {
  local k
  [[ -f "${SAVED_SYSCTLS}" ]] && return 0
  for k in "${KUBELET_SYSCTLS[@]}"; do
    echo "${k}=$(sysctl -n "${k}")"
  done >"${SAVED_SYSCTLS}.tmp"
  mv -f "${SAVED_SYSCTLS}.tmp" "${SAVED_SYSCTLS}"
}

restore_sysctls() {
  local line k v
  [[ -f "${SAVED_SYSCTLS}" ]] || return 0
  while IFS= read -r line; do
    k="${line%%=*}"
    v="${line#*=}"
    if [[ "$(sysctl -n "${k}" 2>/dev/null)" != "${v}" ]]; then
      sysctl -q -w "${k}=${v}" || log "WARNING: could not restore ${k}=${v}"
    fi
  done <"${SAVED_SYSCTLS}"
  rm -f "${SAVED_SYSCTLS}"
}

# --- fixed paths of the kubelet and containerd -----------------------------------------------

# marker_name PATH: the name of the marker file recording that `up` created PATH.
marker_name() {
  local m="${1#/}"
  echo "${CREATED_MARKERS}/${m//\//-}"
}

mark_fixed_dirs() {
  local d
  mkdir -p "${CREATED_MARKERS}"
  for d in "${FIXED_DIRS[@]}"; do
    if [[ ! -e "${d}" ]]; then
      touch "$(marker_name "${d}")"
    fi
  done
}

# remove_fixed_dirs: what the kubelet, libcni and the shims left at their fixed paths, and
# those of the directories that `up` found missing.
remove_fixed_dirs() {
  local i d id f
  # Sandboxes whose CNI results are cached, in case containerd was gone before it could list them.
  for f in /var/lib/cni/results/"${CNI_NETWORK}"-*; do
    [[ -e "${f}" ]] || continue
    id="${f#/var/lib/cni/results/"${CNI_NETWORK}"-}"
    SANDBOX_IDS+=("${id%-*}")
  done
  for id in "${SANDBOX_IDS[@]}"; do
    rm -f "/var/lib/cni/results/${CNI_NETWORK}-${id}-eth0" "/var/lib/cni/results/cni-loopback-${id}-lo" \
      "/run/containerd/s/$(printf '%s' "${CONTAINERD_SOCK}/k8s.io/${id}" | sha256sum | cut -d' ' -f1)"
  done
  if [[ -d /var/log/containers ]]; then
    find /var/log/containers -maxdepth 1 -type l -lname "${POD_LOGS_DIR}/*" -delete 2>/dev/null || true
  fi
  rm -f /var/lib/kubelet/device-plugins/kubelet.sock \
    /var/lib/kubelet/device-plugins/kubelet_internal_checkpoint
  for ((i = ${#FIXED_DIRS[@]} - 1; i >= 0; i--)); do
    d="${FIXED_DIRS[$i]}"
    if [[ -f "$(marker_name "${d}")" ]]; then
      if [[ -e "${d}" ]] && ! rmdir "${d}" 2>/dev/null; then
        log "WARNING: ${d} is not empty, left in place"
      fi
      rm -f "$(marker_name "${d}")"
    fi
  done
}

# --- mounts and cgroups -----------------------------------------------------------------------

# Our mount points under PREFIX..., deepest first (from /proc/self/mountinfo).
mounts_under() {
  local prefix
  for prefix in "$@"; do
    awk -v p="${prefix}" '{
      m = $5
      gsub(/\\040/, " ", m)
      if (m == p || index(m, p "/") == 1) print m
    }' /proc/self/mountinfo
  done | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2- | uniq
}

unmount_all() {
  local m left=()
  for _ in 1 2 3 4 5; do
    mapfile -t left < <(mounts_under "$@")
    ((${#left[@]} == 0)) && return 0
    for m in "${left[@]}"; do
      umount "${m}" 2>/dev/null || umount -l "${m}" 2>/dev/null || true
    done
  done
  mapfile -t left < <(mounts_under "$@")
  ((${#left[@]} == 0)) || log "WARNING: still mounted: ${left[*]}"
}

# PIDs of the processes in kubepods cgroups (the containers of the cluster's pods).
container_pids() {
  local d
  for d in /sys/fs/cgroup/*/kubepods; do
    [[ -d "${d}" ]] || continue
    find "${d}" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}

remove_cgroups() {
  local d pid pids=()
  mapfile -t pids < <(container_pids)
  if ((${#pids[@]} > 0)); then
    log "killing ${#pids[@]} leftover container processes"
    for pid in "${pids[@]}"; do kill -KILL "${pid}" 2>/dev/null || true; done
    sleep 0.5
  fi
  for d in /sys/fs/cgroup/*/kubepods; do
    [[ -d "${d}" ]] || continue
    find "${d}" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [[ -d "${d}" ]] && log "WARNING: could not remove cgroup ${d}"
  done
  return 0
}
