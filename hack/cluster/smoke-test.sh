#!/usr/bin/env bash
# Smoke test of the local cluster (hack/cluster.sh up must have run): in a namespace of its
# own, under the restricted Pod Security Standard,
#   1. a busybox pod (non-root, no privilege escalation, no capabilities, RuntimeDefault seccomp)
#      that echoes and sleeps reaches Running and `kubectl logs` shows its output;
#   2. a 1-replica Deployment becomes available;
#   3. a ClusterIP Service in front of a busybox httpd pod answers from another pod and from
#      the cluster's network namespace;
#   4. a graceful `kubectl delete pod` completes.
# (busybox 1.35 wget -T segfaults: `timeout N wget` bounds it instead.)
# The namespace is deleted at the end (also on failure, unless KEEP=1).
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLUSTER="${HACK_DIR}/cluster.sh"
NS="${SMOKE_NAMESPACE:-smoke}"
IMAGE="localhost/busybox:1.35"

k() { "${CLUSTER}" exec -- kubectl -n "${NS}" "$@"; }
step() { printf '\n== %s\n' "$*" >&2; }
t0=${SECONDS}
elapsed() { echo "$((SECONDS - t0))s"; }

cleanup() {
  if [[ "${KEEP:-0}" != 1 ]]; then
    "${CLUSTER}" exec -- kubectl delete namespace "${NS}" --wait=false --ignore-not-found >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

"${CLUSTER}" status >/dev/null || {
  echo "the cluster is not up (hack/cluster.sh up)" >&2
  exit 1
}

"${CLUSTER}" exec -- kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: ${NS}
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
EOF

# pod_security INDENT / container_security INDENT: the restricted security contexts, indented.
pod_security() {
  local p
  p="$(printf '%*s' "$1" '')"
  printf '%s\n' "${p}securityContext:" "${p}  runAsNonRoot: true" "${p}  runAsUser: 1000" \
    "${p}  runAsGroup: 1000" "${p}  seccompProfile:" "${p}    type: RuntimeDefault"
}
container_security() {
  local p
  p="$(printf '%*s' "$1" '')"
  printf '%s\n' "${p}securityContext:" "${p}  allowPrivilegeEscalation: false" \
    "${p}  capabilities:" "${p}    drop: [\"ALL\"]"
}

step "1. restricted busybox pod: Running and logs"
t=${SECONDS}
k apply -f - <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: echo
spec:
  terminationGracePeriodSeconds: 5
$(pod_security 2)
  containers:
  - name: echo
    image: ${IMAGE}
    command: ["sh", "-c", "echo hello from \$(id -u) at \$(date -u +%s); trap 'echo got TERM; exit 0' TERM; while true; do sleep 1; done"]
$(container_security 4)
EOF
k wait --for=condition=Ready pod/echo --timeout=60s
echo "pod echo Ready after $((SECONDS - t))s" >&2
for _ in $(seq 1 20); do
  logs="$(k logs echo)"
  [[ -n "${logs}" ]] && break
  sleep 0.5
done
echo "logs: ${logs}" >&2
grep -q '^hello from 1000 at ' <<<"${logs}"

step "2. 1-replica Deployment"
k apply -f - <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 5
$(pod_security 6)
      containers:
      - name: httpd
        image: ${IMAGE}
        command: ["sh", "-c", "mkdir -p /tmp/www && echo \"hello from \$(hostname)\" > /tmp/www/index.html && exec httpd -f -v -p 8080 -h /tmp/www"]
        ports:
        - containerPort: 8080
        readinessProbe:
          tcpSocket: {port: 8080}
          periodSeconds: 1
$(container_security 8)
EOF
k rollout status deployment/web --timeout=90s

step "3. ClusterIP Service, from a pod and from the namespace"
k apply -f - <<EOF
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
EOF
ip="$(k get service web -o jsonpath='{.spec.clusterIP}')"
echo "service web: ${ip}" >&2
ok=0
for _ in $(seq 1 40); do
  if out="$(k exec echo -- timeout 2 wget -qO- "http://${ip}/" 2>/dev/null)" && [[ "${out}" == "hello from web-"* ]]; then
    ok=1
    break
  fi
  sleep 0.5
done
((ok)) || {
  echo "the Service did not answer the pod" >&2
  exit 1
}
echo "from pod echo: ${out}" >&2
out="$("${CLUSTER}" exec -- wget -qO- -T 5 "http://${ip}/")"
echo "from the namespace: ${out}" >&2
[[ "${out}" == "hello from web-"* ]]

step "4. graceful delete"
t=${SECONDS}
k delete pod echo --wait=true --timeout=60s
echo "deleted in $((SECONDS - t))s" >&2

step "all passed in $(elapsed)"
