# shellcheck shell=bash disable=SC2154,SC2153 # the layout's variables are set in hack/cluster/layout.sh
# The configuration files of the local cluster's daemons (sourced by hack/cluster.sh). Each is a
# template under hack/cluster/config/, rendered into $CONF_DIR (or $CNI_CONF_DIR) by
# render_template: every ${NAME} in a template is replaced by the shell variable NAME.

# render_template TEMPLATE OUT [MODE]: write TEMPLATE to OUT (file mode MODE, default 0644) with
# each ${NAME} in it replaced by the value of the shell variable NAME, which must be set; nothing
# else in TEMPLATE changes. OUT is replaced at once, never seen half written.
render_template() {
  local template="$1" out="$2" mode="${3:-0644}" refs=() ref name names=() values=()
  # shellcheck disable=SC2016 # a literal ${NAME}
  mapfile -t refs < <(grep -o '\${[A-Za-z_][A-Za-z0-9_]*}' "${template}" | sort -u)
  for ref in "${refs[@]}"; do
    name="${ref:2:${#ref}-3}"
    [[ -n "${!name+set}" ]] || die "${template} uses ${ref}, which is not set"
    names+=("${ref}")
    values+=("${name}=${!name}")
  done
  (
    umask 077
    env "${values[@]}" envsubst "${names[*]}" <"${template}" >"${out}.tmp"
  )
  chmod "${mode}" "${out}.tmp"
  mv -f "${out}.tmp" "${out}"
}

# shellcheck disable=SC2034 # render_template reads the upper-case locals
write_configs() {
  local RUNC
  mkdir -p "${CONF_DIR}" "${CNI_CONF_DIR}" "${CNI_IPAM_DIR}" "${KUBELET_DIR}" "${POD_LOGS_DIR}" \
    "${CONTAINERD_ROOT}" "${CONTAINERD_STATE}" "${ETCD_DIR}"
  chmod 0700 "${ETCD_DIR}"
  RUNC="$(command -v runc)" || die "runc is missing (Debian package runc)"

  render_template "${CLUSTER_TEMPLATES}/containerd.toml" "${CONF_DIR}/containerd.toml"
  render_template "${CLUSTER_TEMPLATES}/cni.conflist" "${CNI_CONF_DIR}/10-${CNI_NETWORK}.conflist"
  render_template "${CLUSTER_TEMPLATES}/kubelet.yaml" "${CONF_DIR}/kubelet.yaml"
  render_template "${CLUSTER_TEMPLATES}/kube-proxy.yaml" "${CONF_DIR}/kube-proxy.yaml"
  # Pods get no name server (there is no cluster DNS and nothing outside the namespace).
  : >"${CONF_DIR}/resolv.conf"
}
