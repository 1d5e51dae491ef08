# shellcheck shell=bash disable=SC2154,SC2153 # the layout's variables are set in hack/cluster/layout.sh
# The local cluster's network namespace (sourced by hack/cluster.sh): the node's address on a
# veth pair whose both ends live inside it, a default route that leads nowhere, and the
# per-namespace kernel settings pods need.

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

# delete_netns: the namespace, and /run/netns when `up` created it and no namespace is left.
delete_netns() {
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
}
