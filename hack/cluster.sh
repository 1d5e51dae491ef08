#!/usr/bin/env bash
# A local Kubernetes cluster of one real node, which the project starts and stops itself.
#
# Everything runs as local processes inside the network namespace $CLUSTER_NETNS: etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler, containerd (its own config, root,
# state and socket), kubelet and kube-proxy (iptables mode). Pods are real containers (runc),
# attached to a CNI bridge inside the namespace. The cluster only talks to loopback and to
# addresses inside namespaces this script creates; it never uses the machine's own addresses.
#
# Usage:
#   hack/cluster.sh up                  start (idempotent; quick when already up and healthy)
#   hack/cluster.sh down                stop everything and remove all that `up` left running,
#                                       mounted or created (idempotent)
#   hack/cluster.sh status              print the state of each part; exit 0 iff up
#   hack/cluster.sh exec -- CMD [ARG..] run CMD inside the namespace, with KUBECONFIG set to the
#                                       admin kubeconfig and the Kubernetes binaries on PATH
#   hack/cluster.sh kubeconfig          print the admin kubeconfig path (server
#                                       https://127.0.0.1:6443, reachable only inside the namespace)
#   hack/cluster.sh load-image TARBALL  import an image tarball (docker save or OCI layout) into
#                                       the cluster's containerd; skipped when already imported
#   hack/cluster.sh images              build the pause and busybox image tarballs (`up` does it)
#
# Addresses (all inside the namespace): node 10.99.0.2/24 (default route via 10.99.0.1 on a
# veth pair whose both ends live in the namespace), pods 10.244.0.0/24 (CNI bridge cni0),
# services 10.96.0.0/16 (kubernetes Service 10.96.0.1).
#
# Images: localhost/pause:1.0 (the sandbox image, from hack/pause) and localhost/busybox:1.35
# (Debian's static busybox), as tarballs in $SINGLETON_CACHE/images, built by hack/imagetool.
#
# Images are never pulled (there is no registry): give pods a tag other than :latest (or
# imagePullPolicy: IfNotPresent/Never) and import the image first. The kubelet never garbage
# collects images. Pods get no DNS server (no CoreDNS): reach Services by their cluster IP.
#
# State: $CLUSTER_DIR (certificates, configs, logs, etcd data, containerd images, kubelet dir) and
# /run/singleton-operator (containerd state and socket). `down` keeps the certificates, the
# containerd image store and the logs, so the next `up` is quick and starts from an empty etcd;
# it deletes everything else, and puts back the kernel settings the kubelet changed
# (vm.overcommit_memory, kernel.panic, kernel.panic_on_oops, ...).
#
# hack/cluster/smoke-test.sh checks a running cluster end to end.
#
# Environment: CLUSTER_WAIT_TIMEOUT (seconds, default 90) bounds every wait of `up`;
# CLUSTER_STOP_TIMEOUT (seconds, default 15) is how long `down` waits after SIGTERM;
# CLUSTER_POD_GRACE (seconds, default 2) is the grace period `down` deletes pods with.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "${HACK_DIR}/.." && pwd)"
# shellcheck source=hack/env.sh disable=SC1091
source "${HACK_DIR}/env.sh"

[[ "${SINGLETON_CACHE}" == /* ]] || SINGLETON_CACHE="${PWD}/${SINGLETON_CACHE}"
[[ "${CLUSTER_DIR}" == /* ]] || CLUSTER_DIR="${PWD}/${CLUSTER_DIR}"

# --- fixed layout -----------------------------------------------------------------------------

NODE_NAME="singleton-node"
NODE_IP="10.99.0.2"
NODE_PREFIX="24"
NODE_GATEWAY="10.99.0.1"
NODE_IF="so-node" # the veth end carrying the node IP
PEER_IF="so-peer" # its peer, also inside the namespace, without an address
POD_SUBNET="10.244.0.0/24"
CLUSTER_CIDR="10.244.0.0/16"
SERVICE_CIDR="10.96.0.0/16"
KUBERNETES_SERVICE_IP="10.96.0.1"
CNI_NETWORK="singleton-op"
CNI_BIN_DIR="/usr/lib/cni"

NETNS_PATH="/run/netns/${CLUSTER_NETNS}"
RUN_DIR="/run/singleton-operator"
CONTAINERD_STATE="${RUN_DIR}/containerd"
CONTAINERD_SOCK="${CONTAINERD_STATE}/containerd.sock"
CONTAINERD_ROOT="${CLUSTER_DIR}/containerd"
KUBELET_DIR="${CLUSTER_DIR}/kubelet"
POD_LOGS_DIR="${CLUSTER_DIR}/pod-logs"
PKI_DIR="${CLUSTER_DIR}/pki"
CONF_DIR="${CLUSTER_DIR}/config"
LOG_DIR="${CLUSTER_DIR}/logs"
PID_DIR="${CLUSTER_DIR}/pids"
ETCD_DIR="${CLUSTER_DIR}/etcd"
CNI_CONF_DIR="${CLUSTER_DIR}/cni/net.d"
CNI_IPAM_DIR="${CLUSTER_DIR}/cni/ipam"
ADMIN_KUBECONFIG="${CLUSTER_DIR}/admin.kubeconfig"
SAVED_SYSCTLS="${CLUSTER_DIR}/saved-sysctls"
# Markers of what `up` created outside its own directories, so that `down` removes it again.
CREATED_MARKERS="${CLUSTER_DIR}/created"
# Directories at fixed paths that the kubelet and containerd 1.6 write to whatever their
# configuration says (parents before children): the kubelet's links to container logs and its
# device plugin socket and checkpoint; libcni's cache of CNI results; the shims' sockets
# (/run/containerd/s/<sha256 of our socket, namespace and id>: a compile-time constant of
# containerd 1.6, the only thing of ours under /run/containerd). `down` removes our files there,
# and the directories that `up` found missing.
FIXED_DIRS=(/var/log/containers /var/lib/kubelet /var/lib/kubelet/device-plugins
  /var/lib/cni /var/lib/cni/results /run/containerd /run/containerd/s)

IMAGES_DIR="${SINGLETON_CACHE}/images"
PAUSE_IMAGE="localhost/pause:1.0"
PAUSE_TAR="${IMAGES_DIR}/pause.tar"
BUSYBOX_IMAGE="localhost/busybox:1.35"
BUSYBOX_TAR="${IMAGES_DIR}/busybox.tar"
TOOLS_DIR="${SINGLETON_CACHE}/bin"
IMAGETOOL="${TOOLS_DIR}/imagetool"
# The containerd label recording which tarball an image was imported from.
IMPORT_LABEL="io.singleton-operator/tarball-sha256"

WAIT_TIMEOUT="${CLUSTER_WAIT_TIMEOUT:-90}"
STOP_TIMEOUT="${CLUSTER_STOP_TIMEOUT:-15}"
# The grace period `down` gives the pods it deletes.
POD_GRACE="${CLUSTER_POD_GRACE:-2}"
# IDs of the containers and sandboxes `down` found (for the files named after them).
SANDBOX_IDS=()

# Start order; `down` stops in the reverse order.
COMPONENTS=(containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)

# Kernel settings the kubelet changes on the whole machine (it sets them when they differ);
# `up` records them and `down` puts them back.
KUBELET_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes)

START_SECONDS=${SECONDS}

log() {
  local elapsed=$((SECONDS - START_SECONDS))
  printf '[cluster %02d:%02d] %s\n' $((elapsed / 60)) $((elapsed % 60)) "$*" >&2
}

die() {
  log "ERROR: $*"
  exit 1
}

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

ctr_k8s() {
  ctr --address "${CONTAINERD_SOCK}" --namespace k8s.io --connect-timeout 5s "$@"
}

# --- processes --------------------------------------------------------------------------------

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
  # background job is not a process group leader, so setsid and nsenter both exec: $! is the
  # daemon itself.
  setsid nsenter --net="${NETNS_PATH}" -- "$@" >>"${logf}" 2>&1 </dev/null 9>&- &
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

# --- certificates and kubeconfigs -------------------------------------------------------------

# The inputs of the certificates; when they change, every certificate is made again.
pki_fingerprint() {
  echo "v2 ${NODE_NAME} ${NODE_IP} ${KUBERNETES_SERVICE_IP}"
}

# new_ca NAME CN: a self-signed CA.
new_ca() {
  openssl ecparam -name prime256v1 -genkey -noout -out "${PKI_DIR}/$1.key" 2>/dev/null
  openssl req -x509 -new -key "${PKI_DIR}/$1.key" -subj "/CN=$2" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "${PKI_DIR}/$1.crt" 2>/dev/null
}

# issue NAME SUBJECT EXTENSIONS [CA]: a key and a certificate signed by CA (default: ca).
issue() {
  local name="$1" subject="$2" ext="$3" ca="${4:-ca}"
  openssl ecparam -name prime256v1 -genkey -noout -out "${PKI_DIR}/${name}.key" 2>/dev/null
  openssl req -new -key "${PKI_DIR}/${name}.key" -subj "${subject}" \
    -out "${PKI_DIR}/${name}.csr" 2>/dev/null
  printf '%s\n' "${ext}" >"${PKI_DIR}/${name}.ext"
  openssl x509 -req -in "${PKI_DIR}/${name}.csr" -CA "${PKI_DIR}/${ca}.crt" -CAkey "${PKI_DIR}/${ca}.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 3650 -extfile "${PKI_DIR}/${name}.ext" \
    -out "${PKI_DIR}/${name}.crt" 2>/dev/null
  rm -f "${PKI_DIR}/${name}.csr" "${PKI_DIR}/${name}.ext"
}

client_ext() {
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n'
}

server_ext() {
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$1"
}

ensure_pki() {
  if [[ -f "${PKI_DIR}/.fingerprint" && "$(cat "${PKI_DIR}/.fingerprint")" == "$(pki_fingerprint)" ]]; then
    return 0
  fi
  log "generating certificates in ${PKI_DIR}"
  rm -rf "${PKI_DIR}"
  mkdir -p "${PKI_DIR}"
  chmod 0700 "${PKI_DIR}"
  new_ca ca singleton-operator-local-ca
  # The aggregation layer (requestheader authentication of aggregated API servers).
  new_ca front-proxy-ca singleton-operator-local-front-proxy-ca
  issue front-proxy-client "/CN=front-proxy-client" "$(client_ext)" front-proxy-ca
  issue apiserver "/CN=kube-apiserver" "$(server_ext "IP:127.0.0.1,IP:${NODE_IP},IP:${KUBERNETES_SERVICE_IP},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local")"
  issue kubelet-serving "/CN=${NODE_NAME}" "$(server_ext "IP:127.0.0.1,IP:${NODE_IP},DNS:${NODE_NAME},DNS:localhost")"
  issue admin "/O=system:masters/CN=kubernetes-admin" "$(client_ext)"
  # The controller manager runs every controller with its own identity
  # (--use-service-account-credentials=false), so it needs the rights of them all.
  issue controller-manager "/O=system:masters/CN=system:kube-controller-manager" "$(client_ext)"
  issue scheduler "/CN=system:kube-scheduler" "$(client_ext)"
  issue kubelet "/O=system:nodes/CN=system:node:${NODE_NAME}" "$(client_ext)"
  issue kube-proxy "/CN=system:kube-proxy" "$(client_ext)"
  issue apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$(client_ext)"
  # Service account token signing key.
  openssl ecparam -name prime256v1 -genkey -noout -out "${PKI_DIR}/sa.key" 2>/dev/null
  openssl ec -in "${PKI_DIR}/sa.key" -pubout -out "${PKI_DIR}/sa.pub" 2>/dev/null
  chmod 0600 "${PKI_DIR}"/*.key
  pki_fingerprint >"${PKI_DIR}/.fingerprint"
}

# write_kubeconfig FILE USER: a kubeconfig for https://127.0.0.1:6443 with USER's client
# certificate, everything embedded.
write_kubeconfig() {
  local file="$1" user="$2"
  cat >"${file}.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: singleton-local
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: $(base64 -w0 <"${PKI_DIR}/ca.crt")
users:
- name: ${user}
  user:
    client-certificate-data: $(base64 -w0 <"${PKI_DIR}/${user}.crt")
    client-key-data: $(base64 -w0 <"${PKI_DIR}/${user}.key")
contexts:
- name: singleton-local
  context:
    cluster: singleton-local
    user: ${user}
    namespace: default
current-context: singleton-local
EOF
  chmod 0600 "${file}.tmp"
  mv -f "${file}.tmp" "${file}"
}

ensure_kubeconfigs() {
  mkdir -p "${CONF_DIR}"
  write_kubeconfig "${ADMIN_KUBECONFIG}" admin
  write_kubeconfig "${CONF_DIR}/controller-manager.kubeconfig" controller-manager
  write_kubeconfig "${CONF_DIR}/scheduler.kubeconfig" scheduler
  write_kubeconfig "${CONF_DIR}/kubelet.kubeconfig" kubelet
  write_kubeconfig "${CONF_DIR}/kube-proxy.kubeconfig" kube-proxy
}

# --- network namespace ------------------------------------------------------------------------

ensure_netns() {
  if ! netns_exists; then
    log "creating network namespace ${CLUSTER_NETNS}"
    [[ -e "${NETNS_PATH}" ]] && ip netns delete "${CLUSTER_NETNS}" 2>/dev/null
    # `ip netns add` creates /run/netns and mounts it onto itself; `down` undoes both.
    [[ -d /run/netns ]] || touch "${CREATED_MARKERS}/run-netns"
    ip netns add "${CLUSTER_NETNS}"
  fi
  in_netns ip link set lo up
  if ! in_netns ip link show "${NODE_IF}" >/dev/null 2>&1; then
    # Both ends of the pair are created inside the namespace: nothing appears outside it.
    in_netns ip link add "${NODE_IF}" type veth peer name "${PEER_IF}"
  fi
  in_netns ip link set "${PEER_IF}" up
  in_netns ip link set "${NODE_IF}" up
  if ! in_netns ip -4 addr show dev "${NODE_IF}" | grep -q "inet ${NODE_IP}/"; then
    in_netns ip addr add "${NODE_IP}/${NODE_PREFIX}" dev "${NODE_IF}"
  fi
  # The kubelet and kube-proxy want a default route to find the node's interface. Nothing
  # answers at the gateway: traffic to any address outside the namespace goes nowhere.
  in_netns ip route replace default via "${NODE_GATEWAY}" dev "${NODE_IF}" onlink
  # These are per namespace: routing between the pod bridge and the node, and iptables on
  # bridged traffic (a Service whose endpoint is on the same bridge as the client).
  in_netns sysctl -q -w net.ipv4.ip_forward=1
  in_netns sysctl -q -w net.bridge.bridge-nf-call-iptables=1
  in_netns sysctl -q -w net.bridge.bridge-nf-call-ip6tables=1 2>/dev/null || true
  in_netns sysctl -q -w net.ipv4.conf.all.route_localnet=1
}

# --- configuration files ----------------------------------------------------------------------

write_configs() {
  mkdir -p "${CONF_DIR}" "${CNI_CONF_DIR}" "${CNI_IPAM_DIR}" "${KUBELET_DIR}" "${POD_LOGS_DIR}" \
    "${CONTAINERD_ROOT}" "${CONTAINERD_STATE}" "${ETCD_DIR}"
  chmod 0700 "${ETCD_DIR}"

  cat >"${CONF_DIR}/containerd.toml" <<EOF
# containerd of the local cluster (hack/cluster.sh): its own root, state and socket.
version = 2
root = "${CONTAINERD_ROOT}"
state = "${CONTAINERD_STATE}/state"
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "${CONTAINERD_SOCK}"

[ttrpc]
  address = ""

[debug]
  address = ""
  level = "info"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "${CONTAINERD_ROOT}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  # Without this, runc fails every sandbox with "can't get final child's PID from pipe".
  restrict_oom_score_adj = true
  # Pod network namespaces are mounted under the state dir, not /run/netns.
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_unprivileged_ports = false
  enable_unprivileged_icmp = false
  max_container_log_line_size = 16384

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${CNI_BIN_DIR}"
    conf_dir = "${CNI_CONF_DIR}"
    max_conf_num = 1

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        Root = "${CONTAINERD_STATE}/runc"
        SystemdCgroup = false
EOF

  cat >"${CNI_CONF_DIR}/10-${CNI_NETWORK}.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "${CNI_NETWORK}",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "${CNI_IPAM_DIR}",
        "ranges": [[{"subnet": "${POD_SUBNET}"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
EOF

  # Pods get no name server (there is no cluster DNS and nothing outside the namespace).
  : >"${CONF_DIR}/resolv.conf"

  cat >"${CONF_DIR}/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupsPerQOS: true
cgroupRoot: /
enforceNodeAllocatable: [pods]
containerRuntimeEndpoint: unix://${CONTAINERD_SOCK}
imageServiceEndpoint: unix://${CONTAINERD_SOCK}
address: 0.0.0.0
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: ${PKI_DIR}/kubelet-serving.crt
tlsPrivateKeyFile: ${PKI_DIR}/kubelet-serving.key
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: ${PKI_DIR}/ca.crt
authorization:
  mode: Webhook
clusterDomain: cluster.local
resolvConf: ${CONF_DIR}/resolv.conf
podLogsDir: ${POD_LOGS_DIR}
volumePluginDir: ${KUBELET_DIR}/volume-plugins
failSwapOn: false
# No registry: images must never be garbage collected, and the node must not report
# disk pressure on a full developer disk.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
imageMinimumGCAge: 87600h
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
serializeImagePulls: false
maxPods: 110
shutdownGracePeriod: 0s
shutdownGracePeriodCriticalPods: 0s
nodeStatusUpdateFrequency: 5s
syncFrequency: 10s
fileCheckFrequency: 20s
EOF

  cat >"${CONF_DIR}/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
hostnameOverride: ${NODE_NAME}
bindAddress: 0.0.0.0
clusterCIDR: ${CLUSTER_CIDR}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["${NODE_IP}/32"]
clientConnection:
  kubeconfig: ${CONF_DIR}/kube-proxy.kubeconfig
conntrack:
  # 0: leave nf_conntrack_max (a machine-wide setting) alone.
  maxPerCore: 0
  min: 0
iptables:
  syncPeriod: 30s
  minSyncPeriod: 0s
EOF
}

# --- images -----------------------------------------------------------------------------------

# build_tools: hack/imagetool and the pause binary, built from the repository (cached by Go).
build_tools() {
  mkdir -p "${TOOLS_DIR}"
  (cd "${REPO_DIR}" && go build -trimpath -o "${IMAGETOOL}" ./hack/imagetool)
  (cd "${REPO_DIR}" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w -buildid=' \
    -o "${TOOLS_DIR}/pause" ./hack/pause)
}

# inputs_fingerprint FILE...: a digest of the inputs of an image (and of this script's recipe).
inputs_fingerprint() {
  {
    echo "recipe v1 $(go env GOVERSION 2>/dev/null)"
    sha256sum "$@" "${REPO_DIR}"/hack/imagetool/*.go
  } | sha256sum | cut -d' ' -f1
}

# image_current TAR FINGERPRINT: TAR exists and was built from these inputs.
image_current() {
  [[ -f "$1" && -f "$1.inputs" && "$(cat "$1.inputs")" == "$2" ]]
}

build_images() {
  local pause_fp busybox_fp applets=() a args=() rootfs="${IMAGES_DIR}/busybox-rootfs"
  mkdir -p "${IMAGES_DIR}"
  pause_fp="$(inputs_fingerprint "${REPO_DIR}"/hack/pause/*.go)"
  busybox_fp="$(inputs_fingerprint /bin/busybox)"
  if image_current "${PAUSE_TAR}" "${pause_fp}" && image_current "${BUSYBOX_TAR}" "${busybox_fp}"; then
    return 0
  fi
  [[ -x /bin/busybox ]] || die "/bin/busybox is missing (Debian package busybox-static)"
  log "building images ${PAUSE_IMAGE} and ${BUSYBOX_IMAGE} (hack/imagetool)"
  build_tools

  "${IMAGETOOL}" build --tag "${PAUSE_IMAGE}" --out "${PAUSE_TAR}" \
    --add "${TOOLS_DIR}/pause:/pause:0755" --entrypoint /pause --user 65535:65535 >&2
  echo "${pause_fp}" >"${PAUSE_TAR}.inputs"

  # Busybox: the binary, a symlink per applet in /bin, /tmp, and users for `id` and `ls -l`.
  rm -rf "${rootfs}"
  mkdir -p "${rootfs}/etc"
  cat >"${rootfs}/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
nonroot:x:65532:65532:nonroot:/home/nonroot:/bin/false
EOF
  cat >"${rootfs}/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
nonroot:x:65532:
EOF
  chmod 0644 "${rootfs}/etc/passwd" "${rootfs}/etc/group"
  mapfile -t applets < <(/bin/busybox --list | LC_ALL=C sort -u)
  for a in "${applets[@]}"; do
    [[ "${a}" == busybox || -z "${a}" ]] && continue
    args+=(--symlink "busybox:/bin/${a}")
  done
  "${IMAGETOOL}" build --tag "${BUSYBOX_IMAGE}" --out "${BUSYBOX_TAR}" \
    --add /bin/busybox:/bin/busybox:0755 \
    --add "${rootfs}/etc/passwd:/etc/passwd:0644" --add "${rootfs}/etc/group:/etc/group:0644" \
    --dir /tmp:1777 --dir /root:0700 --dir /home/nonroot:0755 --dir /var/www:0755 \
    "${args[@]}" --cmd '["sh"]' >&2
  rm -rf "${rootfs}"
  echo "${busybox_fp}" >"${BUSYBOX_TAR}.inputs"
}

# tarball_refs TARBALL: the image references a `docker save` tarball names (none for OCI).
tarball_refs() {
  tar -xOf "$1" manifest.json 2>/dev/null |
    grep -o '"RepoTags":\[[^]]*\]' | sed -e 's/^"RepoTags":\[//' -e 's/\]$//' | tr ',' '\n' |
    sed -n 's/^"\(.*\)"$/\1/p'
}

# The reference containerd lists for REF (Docker Hub names are normalized).
normalized_ref() {
  local ref="$1" first="${1%%/*}"
  if [[ "${ref}" != */* ]]; then
    ref="docker.io/library/${ref}"
  elif [[ "${first}" != *.* && "${first}" != *:* && "${first}" != localhost ]]; then
    ref="docker.io/${ref}"
  fi
  [[ "${ref##*/}" == *:* || "${ref}" == *@* ]] || ref="${ref}:latest"
  echo "${ref}"
}

load_image() {
  local tarball="$1" sum refs=() ref missing=0
  [[ -f "${tarball}" ]] || die "no such image tarball: ${tarball}"
  containerd_ready || die "the cluster's containerd is not running (hack/cluster.sh up)"
  sum="$(sha256sum "${tarball}" | cut -d' ' -f1)"
  mapfile -t refs < <(tarball_refs "${tarball}")
  for ref in "${refs[@]}"; do
    ref="$(normalized_ref "${ref}")"
    if [[ -z "$(ctr_k8s images ls -q "name==${ref},labels.\"${IMPORT_LABEL}\"==${sum}" 2>/dev/null)" ]]; then
      missing=1
    fi
  done
  if ((${#refs[@]} > 0 && missing == 0)); then
    log "image ${refs[*]} is already imported from ${tarball}"
    return 0
  fi
  log "importing ${tarball} into the cluster's containerd"
  ctr_k8s images import "${tarball}" >&2
  for ref in "${refs[@]}"; do
    ctr_k8s images label "$(normalized_ref "${ref}")" "${IMPORT_LABEL}=${sum}" >/dev/null
  done
}

# --- components -------------------------------------------------------------------------------

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

start_etcd() {
  is_running etcd && return 0
  start_daemon etcd "$(kube_bin_dir)/etcd" \
    --name=singleton \
    --data-dir="${ETCD_DIR}" \
    --listen-client-urls=http://127.0.0.1:2379 \
    --advertise-client-urls=http://127.0.0.1:2379 \
    --listen-peer-urls=http://127.0.0.1:2380 \
    --initial-advertise-peer-urls=http://127.0.0.1:2380 \
    --initial-cluster=singleton=http://127.0.0.1:2380 \
    --unsafe-no-fsync=true \
    --log-level=warn
}

start_apiserver() {
  is_running kube-apiserver && return 0
  start_daemon kube-apiserver "$(kube_bin_dir)/kube-apiserver" \
    --etcd-servers=http://127.0.0.1:2379 \
    --bind-address=0.0.0.0 \
    --secure-port=6443 \
    --advertise-address="${NODE_IP}" \
    --service-cluster-ip-range="${SERVICE_CIDR}" \
    --client-ca-file="${PKI_DIR}/ca.crt" \
    --tls-cert-file="${PKI_DIR}/apiserver.crt" \
    --tls-private-key-file="${PKI_DIR}/apiserver.key" \
    --kubelet-client-certificate="${PKI_DIR}/apiserver-kubelet-client.crt" \
    --kubelet-client-key="${PKI_DIR}/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="${PKI_DIR}/ca.crt" \
    --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="${PKI_DIR}/sa.pub" \
    --service-account-signing-key-file="${PKI_DIR}/sa.key" \
    --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction \
    --allow-privileged=true \
    --requestheader-client-ca-file="${PKI_DIR}/front-proxy-ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User \
    --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="${PKI_DIR}/front-proxy-client.crt" \
    --proxy-client-key-file="${PKI_DIR}/front-proxy-client.key" \
    --cert-dir="${PKI_DIR}/generated" \
    --profiling=false
}

start_controller_manager() {
  is_running kube-controller-manager && return 0
  start_daemon kube-controller-manager "$(kube_bin_dir)/kube-controller-manager" \
    --kubeconfig="${CONF_DIR}/controller-manager.kubeconfig" \
    --authentication-kubeconfig="${CONF_DIR}/controller-manager.kubeconfig" \
    --authorization-kubeconfig="${CONF_DIR}/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 \
    --secure-port=10257 \
    --cert-dir="${PKI_DIR}/generated" \
    --leader-elect=false \
    --use-service-account-credentials=false \
    --service-account-private-key-file="${PKI_DIR}/sa.key" \
    --root-ca-file="${PKI_DIR}/ca.crt" \
    --cluster-signing-cert-file="${PKI_DIR}/ca.crt" \
    --cluster-signing-key-file="${PKI_DIR}/ca.key" \
    --cluster-name=singleton-local \
    --flex-volume-plugin-dir="${CLUSTER_DIR}/controller-manager/volume-plugins" \
    --service-cluster-ip-range="${SERVICE_CIDR}" \
    --profiling=false
}

start_scheduler() {
  is_running kube-scheduler && return 0
  start_daemon kube-scheduler "$(kube_bin_dir)/kube-scheduler" \
    --kubeconfig="${CONF_DIR}/scheduler.kubeconfig" \
    --authentication-kubeconfig="${CONF_DIR}/scheduler.kubeconfig" \
    --authorization-kubeconfig="${CONF_DIR}/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 \
    --secure-port=10259 \
    --cert-dir="${PKI_DIR}/generated" \
    --leader-elect=false \
    --profiling=false
}

start_kubelet() {
  is_running kubelet && return 0
  start_daemon kubelet "$(kube_bin_dir)/kubelet" \
    --config="${CONF_DIR}/kubelet.yaml" \
    --kubeconfig="${CONF_DIR}/kubelet.kubeconfig" \
    --root-dir="${KUBELET_DIR}" \
    --cert-dir="${PKI_DIR}/generated" \
    --hostname-override="${NODE_NAME}" \
    --node-ip="${NODE_IP}"
}

start_kube_proxy() {
  is_running kube-proxy && return 0
  start_daemon kube-proxy "$(kube_bin_dir)/kube-proxy" --config="${CONF_DIR}/kube-proxy.yaml"
}

# --- checks -----------------------------------------------------------------------------------

apiserver_ready() {
  kubectl_admin get --raw=/readyz >/dev/null 2>&1
}

node_ready() {
  [[ "$(kubectl_admin get node "${NODE_NAME}" \
    -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

default_sa_exists() {
  kubectl_admin -n default get serviceaccount default >/dev/null 2>&1
}

kube_root_ca_exists() {
  kubectl_admin -n default get configmap kube-root-ca.crt >/dev/null 2>&1
}

# The Service rules of kube-proxy are in place (the kubernetes Service is always there).
service_rules_ready() {
  in_netns iptables -w 5 -t nat -S KUBE-SERVICES 2>/dev/null | grep -q 'default/kubernetes:https'
}

containerd_ready() {
  [[ -S "${CONTAINERD_SOCK}" ]] && ctr_k8s version >/dev/null 2>&1
}

# healthy: every process runs and the cluster answers.
healthy() {
  local c
  for c in "${COMPONENTS[@]}"; do
    is_running "${c}" || return 1
  done
  netns_exists && apiserver_ready && node_ready
}

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

# --- up ---------------------------------------------------------------------------------------

print_usage() {
  cat <<EOF

The local cluster is up: node ${NODE_NAME} (${NODE_IP}), pods ${POD_SUBNET}, services ${SERVICE_CIDR}.
It is reachable only inside the network namespace ${CLUSTER_NETNS}:

  hack/cluster.sh exec -- kubectl get nodes        # KUBECONFIG and PATH are set inside
  hack/cluster.sh exec -- bash                     # a shell inside the namespace
  hack/cluster.sh kubeconfig                       # ${ADMIN_KUBECONFIG}
  hack/cluster.sh load-image FILE.tar              # import an image tarball (hack/imagetool)
  hack/cluster.sh status | down

Images: ${PAUSE_IMAGE} (${PAUSE_TAR}), ${BUSYBOX_IMAGE} (${BUSYBOX_TAR}).
Logs: ${LOG_DIR}/<component>.log
EOF
}

cmd_up() {
  local bin_dir
  need_root
  lock
  if [[ -x "$(kube_bin_dir)/kubectl" ]] && healthy; then
    build_images
    load_image "${PAUSE_TAR}"
    load_image "${BUSYBOX_TAR}"
    log "already up and healthy"
    print_usage
    return 0
  fi

  log "installing missing Debian packages (hack/install-deps.sh)"
  "${HACK_DIR}/install-deps.sh"
  log "building the Kubernetes binaries when needed (hack/build-kube.sh)"
  bin_dir="$("${HACK_DIR}/build-kube.sh" | tail -n 1)"
  [[ -x "${bin_dir}/kubelet" ]] || die "hack/build-kube.sh printed ${bin_dir}, which holds no kubelet"
  KUBE_BIN_DIR_RESOLVED="${bin_dir}"

  mkdir -p "${CLUSTER_DIR}" "${LOG_DIR}" "${PID_DIR}" "${CREATED_MARKERS}"
  ensure_pki
  ensure_kubeconfigs
  ensure_netns
  write_configs
  save_sysctls
  mark_fixed_dirs

  start_containerd
  start_etcd
  build_images
  wait_for "containerd (${CONTAINERD_SOCK})" containerd "${WAIT_TIMEOUT}" containerd_ready
  remove_stale_containers
  load_image "${PAUSE_TAR}"
  load_image "${BUSYBOX_TAR}"
  wait_for "etcd (127.0.0.1:2379)" etcd "${WAIT_TIMEOUT}" tcp_open 2379
  start_apiserver
  wait_for "kube-apiserver (https://127.0.0.1:6443/readyz)" kube-apiserver "${WAIT_TIMEOUT}" apiserver_ready
  start_controller_manager
  start_scheduler
  start_kubelet
  start_kube_proxy
  wait_for "node ${NODE_NAME} to be Ready" kubelet "${WAIT_TIMEOUT}" node_ready
  wait_for "the default ServiceAccount (kube-controller-manager)" kube-controller-manager "${WAIT_TIMEOUT}" default_sa_exists
  wait_for "the kube-root-ca.crt ConfigMap (kube-controller-manager)" kube-controller-manager "${WAIT_TIMEOUT}" kube_root_ca_exists
  wait_for "kube-scheduler (127.0.0.1:10259)" kube-scheduler "${WAIT_TIMEOUT}" tcp_open 10259
  wait_for "kube-proxy's Service rules (iptables)" kube-proxy "${WAIT_TIMEOUT}" service_rules_ready
  log "up in $((SECONDS - START_SECONDS))s"
  print_usage
}

# --- down -------------------------------------------------------------------------------------

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

# drain_pods: with the controllers stopped (nothing recreates pods), delete every pod and let
# the kubelet stop them, so that their sandboxes are torn down the normal way (CNI DEL, shim
# exit). Bounded by STOP_TIMEOUT; what is left is stopped by remove_containers.
drain_pods() {
  local deadline
  is_running kubelet && containerd_ready && apiserver_ready || return 0
  [[ -n "$(ctr_k8s tasks ls -q 2>/dev/null)" ]] || return 0
  log "deleting all pods (grace period ${POD_GRACE}s) and waiting for the kubelet to stop them"
  kubectl_admin delete pods --all --all-namespaces --grace-period="${POD_GRACE}" --wait=false \
    >/dev/null 2>&1 || return 0
  deadline=$((SECONDS + POD_GRACE + STOP_TIMEOUT))
  while ((SECONDS < deadline)); do
    if [[ -z "$(ctr_k8s tasks ls 2>/dev/null | awk 'NR > 1 && $3 == "RUNNING"')" ]] &&
      ! compgen -G "/var/lib/cni/results/${CNI_NETWORK}-*" >/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  log "some pods still run after $((POD_GRACE + STOP_TIMEOUT))s: stopping their containers directly"
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

cmd_down() {
  local pids=()
  need_root
  lock
  # Nothing may recreate or reschedule pods while the kubelet stops them; then the node goes,
  # then whatever containers are left, then the control plane.
  stop_daemons kube-controller-manager kube-scheduler
  drain_pods
  stop_daemons kube-proxy kubelet
  remove_containers
  # The control plane is not needed any more (its data is deleted below). etcd last: the API
  # server's shutdown waits for it.
  stop_daemons containerd kube-apiserver
  stop_daemons etcd
  mapfile -t pids < <(shim_pids)
  if ((${#pids[@]} > 0)); then
    log "stopping containerd shims (pids ${pids[*]})"
    stop_pids "${pids[@]/#/containerd-shim:}"
  fi
  remove_cgroups

  unmount_all "${CLUSTER_DIR}" "${RUN_DIR}"
  if [[ -e "${NETNS_PATH}" ]]; then
    log "deleting network namespace ${CLUSTER_NETNS}"
    ip netns delete "${CLUSTER_NETNS}" 2>/dev/null || {
      umount "${NETNS_PATH}" 2>/dev/null
      rm -f "${NETNS_PATH}"
    }
  fi
  # `ip netns add` mounted /run/netns onto itself; undo that when no namespace is left.
  if [[ -d /run/netns && -z "$(ls -A /run/netns 2>/dev/null)" ]]; then
    if mountpoint -q /run/netns; then
      umount /run/netns 2>/dev/null || true
    fi
    if [[ -f "${CREATED_MARKERS}/run-netns" ]]; then
      rmdir /run/netns 2>/dev/null || true
    fi
  fi
  rm -f "${CREATED_MARKERS}/run-netns"
  remove_cgroups
  restore_sysctls

  # Runtime state; the certificates, the images and the logs stay.
  rm -rf "${RUN_DIR}" "${ETCD_DIR}" "${KUBELET_DIR}" "${POD_LOGS_DIR}" "${CLUSTER_DIR}/cni" \
    "${CONTAINERD_ROOT}/io.containerd.grpc.v1.cri/sandboxes" \
    "${CONTAINERD_ROOT}/io.containerd.grpc.v1.cri/containers" \
    "${PKI_DIR}/generated" "${PID_DIR}" "${CLUSTER_DIR}/controller-manager"
  remove_fixed_dirs
  log "down"
}

# --- status -----------------------------------------------------------------------------------

cmd_status() {
  local c pid up=0
  for c in "${COMPONENTS[@]}"; do
    if pid="$(pid_of "${c}")"; then
      printf '%-24s running (pid %s)\n' "${c}" "${pid}"
    else
      printf '%-24s stopped\n' "${c}"
      up=1
    fi
  done
  if ! netns_exists; then
    printf '%-24s missing\n' "netns ${CLUSTER_NETNS}"
    return 1
  fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "status: not root: cannot enter the namespace to check the API" >&2
    return 1
  fi
  if [[ ! -x "$(kube_bin_dir)/kubectl" ]]; then
    printf '%-24s missing (hack/build-kube.sh)\n' kubectl
    return 1
  fi
  if apiserver_ready; then
    printf '%-24s ready\n' "api https://127.0.0.1:6443"
  else
    printf '%-24s not ready\n' "api https://127.0.0.1:6443"
    return 1
  fi
  if node_ready; then
    printf '%-24s Ready\n' "node ${NODE_NAME}"
  else
    printf '%-24s not Ready\n' "node ${NODE_NAME}"
    up=1
  fi
  return "${up}"
}

# --- exec, kubeconfig, load-image -------------------------------------------------------------

cmd_exec() {
  [[ "${1:-}" == "--" ]] && shift
  (($# > 0)) || die "usage: $0 exec -- CMD [ARG...]"
  need_root
  netns_exists || die "namespace ${CLUSTER_NETNS} does not exist: run hack/cluster.sh up"
  # No proxy of the caller's environment can be reached from inside the namespace.
  local no_proxy="127.0.0.1,localhost,${NODE_IP},${SERVICE_CIDR},${CLUSTER_CIDR},.svc,.cluster.local"
  no_proxy="${no_proxy}${NO_PROXY:+,${NO_PROXY}}"
  exec nsenter --net="${NETNS_PATH}" -- \
    env KUBECONFIG="${ADMIN_KUBECONFIG}" PATH="$(kube_bin_dir):${PATH}" \
    NO_PROXY="${no_proxy}" no_proxy="${no_proxy}" "$@"
}

usage() {
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
}

main() {
  local cmd="${1:-}"
  (($# > 0)) && shift
  case "${cmd}" in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    exec) cmd_exec "$@" ;;
    kubeconfig) echo "${ADMIN_KUBECONFIG}" ;;
    load-image)
      (($# == 1)) || die "usage: $0 load-image TARBALL"
      need_root
      load_image "$1"
      ;;
    images)
      build_images
      echo "${PAUSE_TAR}"
      echo "${BUSYBOX_TAR}"
      ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
