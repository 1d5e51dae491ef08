# shellcheck shell=bash disable=SC2154,SC2153 # the layout's variables are set in hack/cluster/layout.sh
# The local cluster's containerd (sourced by hack/cluster.sh): its own config, root, state and
# socket (hack/cluster/config/containerd.toml), never the machine's; and how `up` and `down`
# clear the containers it keeps.

ctr_k8s() {
  ctr --address "${CONTAINERD_SOCK}" --namespace k8s.io --connect-timeout 5s "$@"
}

containerd_ready() {
  [[ -S "${CONTAINERD_SOCK}" ]] && ctr_k8s version >/dev/null 2>&1
}

start_containerd() {
  is_running containerd && return 0
  mkdir -p "${CONTAINERD_STATE}"
  start_daemon containerd containerd --config "${CONF_DIR}/containerd.toml"
  CONTAINERD_STARTED=true
}

# remove_stale_containers: after a crash (no `down`), containerd's store still lists the
# containers of the previous run. When this `up` started containerd and nothing runs, no
# kubelet owns them: delete them (and their snapshots).
remove_stale_containers() {
  local ids=()
  [[ "${CONTAINERD_STARTED:-false}" == true ]] && ! is_running kubelet || return 0
  [[ -z "$(ctr_k8s tasks ls 2>/dev/null | awk 'NR > 1 && $3 == "RUNNING"')" ]] || return 0
  mapfile -t ids < <(ctr_k8s containers ls -q 2>/dev/null)
  ((${#ids[@]} > 0)) || return 0
  log "removing ${#ids[@]} containers left by a previous run that was not brought down"
  ctr_k8s tasks delete -f "${ids[@]}" >/dev/null 2>&1 || true
  ctr_k8s containers delete "${ids[@]}" >/dev/null 2>&1 || true
  rm -rf "${CONTAINERD_ROOT}/io.containerd.grpc.v1.cri/sandboxes" \
    "${CONTAINERD_ROOT}/io.containerd.grpc.v1.cri/containers"
  # The CRI plugin loaded them at start: restart containerd so that it forgets them.
  stop_daemons containerd
  start_containerd
  wait_for "containerd (${CONTAINERD_SOCK})" containerd "${WAIT_TIMEOUT}" containerd_ready
}

# remove_containers: stop (SIGTERM, then SIGKILL) and delete every container of the k8s.io
# namespace of our containerd, and record the sandbox IDs (SANDBOX_IDS) for remove_fixed_dirs.
remove_containers() {
  local ids=() id i left
  containerd_ready || return 0
  mapfile -t ids < <(ctr_k8s containers ls -q 2>/dev/null)
  SANDBOX_IDS+=("${ids[@]}")
  mapfile -t ids < <(ctr_k8s tasks ls -q 2>/dev/null)
  if ((${#ids[@]} > 0)); then
    log "stopping ${#ids[@]} containers"
    for id in "${ids[@]}"; do ctr_k8s tasks kill -s SIGTERM "${id}" >/dev/null 2>&1 || true; done
    for ((i = 0; i < 50; i++)); do
      left="$(ctr_k8s tasks ls 2>/dev/null | awk 'NR > 1 && $3 == "RUNNING"' | wc -l)"
      ((left == 0)) && break
      sleep 0.1
    done
    for id in "${ids[@]}"; do ctr_k8s tasks kill -s SIGKILL "${id}" >/dev/null 2>&1 || true; done
    for id in "${ids[@]}"; do ctr_k8s tasks delete -f "${id}" >/dev/null 2>&1 || true; done
  fi
  mapfile -t ids < <(ctr_k8s containers ls -q 2>/dev/null)
  if ((${#ids[@]} > 0)); then
    log "removing ${#ids[@]} containers and sandboxes"
    ctr_k8s containers delete "${ids[@]}" >/dev/null 2>&1 || true
  fi
}

# PIDs of the containerd shims serving our containerd (they name its socket in their arguments).
shim_pids() {
  local f pid
  while IFS= read -r f; do
    pid="${f#/proc/}"
    pid="${pid%/cmdline}"
    if { tr '\0' ' ' <"${f}"; } 2>/dev/null | grep -q -- "containerd-shim.* -address ${CONTAINERD_SOCK} "; then
      echo "${pid}"
    fi
  done < <(grep -laF -- "${CONTAINERD_SOCK}" /proc/[0-9]*/cmdline 2>/dev/null)
}
