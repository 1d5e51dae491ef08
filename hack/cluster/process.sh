# shellcheck shell=bash disable=SC2154,SC2153 # the layout's variables are set in hack/cluster/layout.sh
# Processes of the local cluster (sourced by hack/cluster.sh): the namespace they run in, how
# they are started as daemons, found again by PID and start time, stopped and waited for.

need_root() {
  [[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, mounts, cgroups)"
}

# lock: one `up` or `down` at a time (fd 9; daemons do not inherit it).
lock() {
  mkdir -p "${CLUSTER_DIR}"
  exec 9>"${CLUSTER_DIR}/.lock"
  if ! flock -n 9; then
    log "waiting for another hack/cluster.sh up/down to finish"
    flock -w 600 9 || die "timed out waiting for the lock ${CLUSTER_DIR}/.lock"
  fi
}

kube_bin_dir() {
  if [[ -z "${KUBE_BIN_DIR_RESOLVED:-}" ]]; then
    KUBE_BIN_DIR_RESOLVED="$("${HACK_DIR}/build-kube.sh" --print-dir)"
  fi
  echo "${KUBE_BIN_DIR_RESOLVED}"
}

# in_netns CMD...: run CMD in the cluster's network namespace (mounts and /sys untouched).
in_netns() {
  nsenter --net="${NETNS_PATH}" -- "$@"
}

netns_exists() {
  [[ -e "${NETNS_PATH}" ]] && nsenter --net="${NETNS_PATH}" -- true 2>/dev/null
}

kubectl_admin() {
  in_netns "$(kube_bin_dir)/kubectl" --kubeconfig="${ADMIN_KUBECONFIG}" --request-timeout=5s "$@"
}

# start_time PID: the start time of PID (clock ticks since boot), to tell it from a later process
# that reuses the PID.
start_time() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  # Field 22; the command name (field 2) may hold spaces, so cut after its closing paren.
  stat="${stat##*) }"
  # shellcheck disable=SC2086 # split on purpose
  set -- ${stat}
  echo "${20}"
}

# alive PID STARTTIME: PID is still the process that started at STARTTIME, and not a zombie.
alive() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z && "$(start_time "$1" 2>/dev/null)" == "$2" ]]
}

# pid_of NAME: the PID recorded for NAME when that process still runs, else fail.
pid_of() {
  local file="${PID_DIR}/$1.pid" pid started
  [[ -f "${file}" ]] || return 1
  read -r pid started <"${file}" || return 1
  [[ -n "${pid}" && -n "${started}" ]] || return 1
  alive "${pid}" "${started}" || return 1
  echo "${pid}"
}

is_running() {
  pid_of "$1" >/dev/null
}

# close_inherited_fds: close every descriptor of this (sub)shell but stdin, stdout and stderr.
close_inherited_fds() {
  local f fd fds=()
  for f in /proc/"${BASHPID}"/fd/*; do
    fds+=("${f##*/}")
  done
  for fd in "${fds[@]}"; do
    if ((fd > 2)); then
      exec {fd}>&-
    fi
  done
}

# start_daemon NAME CMD...: start CMD in the namespace, in its own session, logging to
# $LOG_DIR/NAME.log (the previous log is kept as NAME.log.1), and record its PID.
start_daemon() {
  local name="$1" logf pid started
  shift
  logf="${LOG_DIR}/${name}.log"
  mkdir -p "${LOG_DIR}" "${PID_DIR}"
  [[ -f "${logf}" ]] && mv -f "${logf}" "${logf}.1"
  {
    echo "=== $(date -u +%FT%TZ) starting ${name}:"
    printf ' %q' "$@"
    echo
  } >"${logf}"
  # setsid: a Ctrl-C on the terminal of `up` must not reach the daemons. In a script, a
  # background job is not a process group leader, so the subshell, setsid and nsenter all
  # exec: $! is the daemon itself. The daemons outlive this script, so they keep none of its
  # descriptors: not the lock of `up` (fd 9), nor a lock its caller holds (such as
  # cluster-tests.lock, which `flock FILE hack/cluster.sh up` would otherwise leave held by
  # the daemons until `down`), nor a pipe.
  (
    close_inherited_fds
    exec setsid nsenter --net="${NETNS_PATH}" -- "$@" >>"${logf}" 2>&1 </dev/null
  ) &
  pid=$!
  started="$(start_time "${pid}")" || die "${name} exited at once; its log ${logf}:$(tail -n 30 "${logf}" | sed 's/^/\n    /')"
  echo "${pid} ${started}" >"${PID_DIR}/${name}.pid"
  log "started ${name} (pid ${pid}, log ${logf})"
}

# stop_pids LABEL:PID...: SIGTERM to all at once, then SIGKILL to those still running after
# STOP_TIMEOUT seconds.
stop_pids() {
  local item pid label started i left
  local -a pids=() labels=() starts=()
  for item in "$@"; do
    label="${item%:*}"
    pid="${item##*:}"
    started="$(start_time "${pid}")" || continue
    kill -TERM "${pid}" 2>/dev/null || continue
    pids+=("${pid}")
    labels+=("${label}")
    starts+=("${started}")
  done
  for ((i = 0; i <= STOP_TIMEOUT * 10; i++)); do
    left=0
    for ((item = 0; item < ${#pids[@]}; item++)); do
      alive "${pids[$item]}" "${starts[$item]}" && left=1
    done
    ((left == 0)) && return 0
    ((i < STOP_TIMEOUT * 10)) && sleep 0.1
  done
  for ((item = 0; item < ${#pids[@]}; item++)); do
    if alive "${pids[$item]}" "${starts[$item]}"; then
      log "${labels[$item]} (pid ${pids[$item]}) did not stop within ${STOP_TIMEOUT}s of SIGTERM: SIGKILL"
      kill -KILL "${pids[$item]}" 2>/dev/null || true
    fi
  done
  for ((i = 0; i < 50; i++)); do
    left=0
    for ((item = 0; item < ${#pids[@]}; item++)); do
      alive "${pids[$item]}" "${starts[$item]}" && left=1
    done
    ((left == 0)) && return 0
    sleep 0.1
  done
  log "WARNING: some processes survived SIGKILL: ${pids[*]}"
}

# stop_daemons NAME...: stop the recorded processes of these components, in parallel.
stop_daemons() {
  local name pid items=() names=()
  for name in "$@"; do
    if pid="$(pid_of "${name}")"; then
      items+=("${name}:${pid}")
      names+=("${name} (pid ${pid})")
    fi
  done
  if ((${#items[@]} > 0)); then
    log "stopping ${names[*]}"
    stop_pids "${items[@]}"
  fi
  for name in "$@"; do
    rm -f "${PID_DIR}/${name}.pid"
  done
}

log_tail() {
  local logf="${LOG_DIR}/$1.log"
  [[ -f "${logf}" ]] || return 0
  echo "---- last lines of ${logf} ----" >&2
  tail -n 40 "${logf}" >&2
  echo "----" >&2
}

# wait_for WHAT COMPONENT TIMEOUT CMD...: run CMD every 0.25s until it succeeds. Fails, with
# the tail of COMPONENT's log, when the deadline passes or COMPONENT's process is gone.
wait_for() {
  local what="$1" component="$2" timeout="$3" deadline
  shift 3
  log "waiting for ${what} (up to ${timeout}s)"
  deadline=$((SECONDS + timeout))
  while ! "$@" >/dev/null 2>&1; do
    if [[ -n "${component}" ]] && ! is_running "${component}"; then
      log_tail "${component}"
      die "${component} exited while waiting for ${what}"
    fi
    if ((SECONDS >= deadline)); then
      [[ -n "${component}" ]] && log_tail "${component}"
      die "timed out after ${timeout}s waiting for ${what}"
    fi
    sleep 0.25
  done
}

# tcp_open PORT: something listens on 127.0.0.1:PORT inside the namespace.
tcp_open() {
  in_netns bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}
