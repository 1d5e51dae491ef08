# shellcheck shell=bash disable=SC2034,SC2153 # used by the other parts; hack/env.sh sets CLUSTER_DIR
# The fixed layout of the local cluster (sourced by hack/cluster.sh first): its addresses, its
# directories and files, its images, its timeouts. hack/env.sh sets CLUSTER_NETNS, CLUSTER_DIR and
# SINGLETON_CACHE before.

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

# The templates of the daemons' configuration files (hack/cluster/config.sh renders them).
CLUSTER_TEMPLATES="${HACK_DIR}/cluster/config"

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
