# shellcheck shell=bash disable=SC2154,SC2153 # the layout's variables are set in hack/cluster/layout.sh
# The local cluster's node (sourced by hack/cluster.sh): the kubelet
# (hack/cluster/config/kubelet.yaml) and kube-proxy (hack/cluster/config/kube-proxy.yaml), the
# checks `up` waits for, and how `down` lets the kubelet stop the pods.

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

node_ready() {
  [[ "$(kubectl_admin get node "${NODE_NAME}" \
    -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

# The Service rules of kube-proxy are in place (the kubernetes Service is always there).
service_rules_ready() {
  in_netns iptables -w 5 -t nat -S KUBE-SERVICES 2>/dev/null | grep -q 'default/kubernetes:https'
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
