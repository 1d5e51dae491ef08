#!/usr/bin/env bash
# A local Kubernetes cluster of one real node, which the project starts and stops itself.
#
# Why not kind: kind runs each node as a container of a container engine (Docker or Podman),
# and the machines this project is built and tested on have none, nor a registry to pull kind's
# node image from. So the node's parts run here as plain processes, built from source by
# hack/build-kube.sh.
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
# Parts, in hack/cluster/: layout.sh (addresses, paths, images, timeouts), process.sh (daemons,
# PIDs, waits), pki.sh (certificates and kubeconfigs), network.sh (the namespace), config.sh
# (renders the daemons' configuration from the templates in config/), images.sh (pause and
# busybox), containerd.sh, control-plane.sh, node.sh (kubelet, kube-proxy), host.sh (what `up`
# changes on the machine and `down` puts back). This file holds the commands.
#
# Environment: CLUSTER_WAIT_TIMEOUT (seconds, default 90) bounds every wait of `up`;
# CLUSTER_STOP_TIMEOUT (seconds, default 15) is how long `down` waits after SIGTERM;
# CLUSTER_POD_GRACE (seconds, default 2) is the grace period `down` deletes pods with.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "${HACK_DIR}/.." && pwd)"
LOG_NAME=cluster
# shellcheck source=hack/lib.sh
source "${HACK_DIR}/lib.sh"
# shellcheck source=hack/env.sh
source "${HACK_DIR}/env.sh"

[[ "${SINGLETON_CACHE}" == /* ]] || SINGLETON_CACHE="${PWD}/${SINGLETON_CACHE}"
[[ "${CLUSTER_DIR}" == /* ]] || CLUSTER_DIR="${PWD}/${CLUSTER_DIR}"

# shellcheck source=hack/cluster/layout.sh
source "${HACK_DIR}/cluster/layout.sh"
# shellcheck source=hack/cluster/process.sh
source "${HACK_DIR}/cluster/process.sh"
# shellcheck source=hack/cluster/pki.sh
source "${HACK_DIR}/cluster/pki.sh"
# shellcheck source=hack/cluster/network.sh
source "${HACK_DIR}/cluster/network.sh"
# shellcheck source=hack/cluster/config.sh
source "${HACK_DIR}/cluster/config.sh"
# shellcheck source=hack/cluster/images.sh
source "${HACK_DIR}/cluster/images.sh"
# shellcheck source=hack/cluster/containerd.sh
source "${HACK_DIR}/cluster/containerd.sh"
# shellcheck source=hack/cluster/control-plane.sh
source "${HACK_DIR}/cluster/control-plane.sh"
# shellcheck source=hack/cluster/node.sh
source "${HACK_DIR}/cluster/node.sh"
# shellcheck source=hack/cluster/host.sh
source "${HACK_DIR}/cluster/host.sh"

# healthy: every process runs and the cluster answers.
healthy() {
  local c
  for c in "${COMPONENTS[@]}"; do
    is_running "${c}" || return 1
  done
  netns_exists && apiserver_ready && node_ready
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
  log "up in ${SECONDS}s"
  print_usage
}

# --- down -------------------------------------------------------------------------------------

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
  delete_netns
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

# --- status, exec ------------------------------------------------------------------------------

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
    -h | --help | help) print_help ;;
    *) usage_error ;;
  esac
}

main "$@"
