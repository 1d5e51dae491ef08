# shellcheck shell=bash disable=SC2154,SC2153 # the layout's variables are set in hack/cluster/layout.sh
# The local cluster's control plane (sourced by hack/cluster.sh): etcd, kube-apiserver,
# kube-controller-manager and kube-scheduler, as daemons inside the namespace, and the checks
# `up` waits for.

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

apiserver_ready() {
  kubectl_admin get --raw=/readyz >/dev/null 2>&1
}

default_sa_exists() {
  kubectl_admin -n default get serviceaccount default >/dev/null 2>&1
}

kube_root_ca_exists() {
  kubectl_admin -n default get configmap kube-root-ca.crt >/dev/null 2>&1
}
