# shellcheck shell=bash disable=SC2154,SC2153 # the layout's variables are set in hack/cluster/layout.sh
# The local cluster's certificates and kubeconfigs (sourced by hack/cluster.sh): two CAs (the
# cluster's and the aggregation layer's front proxy), a serving certificate for the API server
# and the kubelet, a client certificate per component, the service account signing key, and a
# kubeconfig per client. All ECDSA P-256, valid ten years, made once and kept across `down`.
#
# Made with openssl, not with a Go tool (crypto/x509, client-go's clientcmd): the whole PKI is
# two functions of four openssl commands each plus a table of names and extensions, and a
# kubeconfig is a template of twenty lines. A Go tool doing the same would be several times as
# long (key generation, a template and PEM encoding per kind of certificate), would need
# building before every `up`, and would add a program to maintain, for the same result: the same certificates,
# checked by the same API server. openssl is a Debian package the cluster installs anyway.

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
# certificate, everything embedded (hack/cluster/config/kubeconfig.yaml).
# shellcheck disable=SC2034 # render_template reads the upper-case locals
write_kubeconfig() {
  local CA_DATA CERT_DATA KEY_DATA KUBECONFIG_USER="$2"
  CA_DATA="$(base64 -w0 <"${PKI_DIR}/ca.crt")"
  CERT_DATA="$(base64 -w0 <"${PKI_DIR}/${KUBECONFIG_USER}.crt")"
  KEY_DATA="$(base64 -w0 <"${PKI_DIR}/${KUBECONFIG_USER}.key")"
  render_template "${CLUSTER_TEMPLATES}/kubeconfig.yaml" "$1" 0600
}

ensure_kubeconfigs() {
  mkdir -p "${CONF_DIR}"
  write_kubeconfig "${ADMIN_KUBECONFIG}" admin
  write_kubeconfig "${CONF_DIR}/controller-manager.kubeconfig" controller-manager
  write_kubeconfig "${CONF_DIR}/scheduler.kubeconfig" scheduler
  write_kubeconfig "${CONF_DIR}/kubelet.kubeconfig" kubelet
  write_kubeconfig "${CONF_DIR}/kube-proxy.kubeconfig" kube-proxy
}
