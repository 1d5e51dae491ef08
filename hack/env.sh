# shellcheck shell=bash
# Pinned versions and shared locations for every script in hack/.
# Source it; it sets variables and defines nothing else.

# Kubernetes components, built from the Go module proxy (k8s.io/kubernetes).
KUBE_VERSION="${KUBE_VERSION:-v1.37.1}"
# etcd server, built from go.etcd.io/etcd/server/v3 (etcdmain).
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
# kwok, for simulated nodes (sigs.k8s.io/kwok).
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"

# Everything built or downloaded is cached here, never inside the repository.
SINGLETON_CACHE="${SINGLETON_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/singleton-operator}"
# The Kubernetes, etcd and kwok binaries of the versions above.
KUBE_BIN_DIR="${KUBE_BIN_DIR:-$SINGLETON_CACHE/kube-$KUBE_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION/bin}"

# The local cluster: its network namespace and its state (certificates, data, logs, PIDs).
CLUSTER_NETNS="${CLUSTER_NETNS:-singleton-op}"
CLUSTER_DIR="${CLUSTER_DIR:-$SINGLETON_CACHE/cluster}"

# The Prometheus Operator the e2e suite runs (hack/build-prometheus-operator.sh), and whose API
# module gives the monitoring CRDs (make monitoring-crds).
PROMETHEUS_OPERATOR_VERSION="${PROMETHEUS_OPERATOR_VERSION:-v0.89.0}"

# KubeStellar, whose controller-manager (binding and status controllers) the reported-state tests
# and benchmark run as a local process (hack/build-kubestellar.sh). Keep it equal to the
# github.com/kubestellar/kubestellar version in go.mod, whose API the operator implements.
KUBESTELLAR_VERSION="${KUBESTELLAR_VERSION:-v0.30.0}"
