#!/usr/bin/env bash
# Runs the e2e suite against the local cluster: starts the cluster when it is not up (and
# stops it again afterwards, unless KEEP_CLUSTER=1), builds the operator's image and imports
# it, deploys the operator with kustomize, installs the Prometheus Operator's CRDs
# (MONITORING_CRDS, `make monitoring-crds`) and config/prometheus for the monitoring specs, and
# runs test/e2e inside the cluster's network namespace, where the cluster's addresses are
# reachable. `make test-e2e` and `make bench-handover` set KUSTOMIZE and MONITORING_CRDS.
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=hack/env.sh
source hack/env.sh

KUSTOMIZE=${KUSTOMIZE:-bin/kustomize}
PATH="$(hack/build-kube.sh | tail -n1):$PATH"
E2E_TIMEOUT=${E2E_TIMEOUT:-30m}
# Ginkgo label filter: the benchmark (label bench) runs only when asked for (make bench-handover).
E2E_LABEL_FILTER=${E2E_LABEL_FILTER:-!bench}
# E2E_FOCUS, when set, runs only the specs whose description matches this regular expression.
focus=()
[[ -n ${E2E_FOCUS:-} ]] && focus=(-ginkgo.focus="$E2E_FOCUS")

# Built (once, cached) before the cluster's lock is taken: the monitoring specs run it.
prometheus_operator=$(hack/build-prometheus-operator.sh)

# One local cluster serves every suite that deploys to it (e2e, the OLM install test): each
# holds this lock from its first deployment to its last assertion, so they never interleave.
mkdir -p "$SINGLETON_CACHE"
exec 8>"$SINGLETON_CACHE/cluster-tests.lock"
flock -w 3600 8 || die "timed out waiting for $SINGLETON_CACHE/cluster-tests.lock"

started=false
if ! hack/cluster.sh status >/dev/null 2>&1; then
	hack/cluster.sh up 8>&- # the daemons it starts must not hold the lock
	started=true
fi
cleanup() {
	local rc=$?
	if ((rc != 0)); then
		echo "==> e2e failed; the operator's last logs:" >&2
		hack/cluster.sh exec -- kubectl -n singleton-operator-system logs deploy/singleton-operator-controller-manager \
			--tail=60 >&2 2>/dev/null || true
	fi
	if $started && [[ -z ${KEEP_CLUSTER:-} ]]; then
		hack/cluster.sh down
	fi
	exit "$rc"
}
trap cleanup EXIT

echo "==> building the operator's image" >&2
image=$(hack/operator-image.sh)
hack/cluster.sh load-image "$SINGLETON_CACHE/images/operator.tar"

echo "==> deploying $image with config/default" >&2
# kustomize takes only relative paths; bin/ is ignored by git.
overlay=bin/e2e-overlay
mkdir -p "$overlay"
# The registry test/e2e serves in the namespace (test/e2e/registry_test.go) has a CA of its own:
# the manager trusts it through SSL_CERT_DIR, as a cluster with a private registry's CA would.
registry_tls=$(hack/e2e-registry-tls.sh)
cp "$registry_tls/ca.crt" "$overlay/registry-ca.crt"
cat >"$overlay/kustomization.yaml" <<YAML
resources:
- ../../config/default
configMapGenerator:
- {name: e2e-registry-ca, namespace: singleton-operator-system, files: [registry-ca.crt]}
# The manager's image and the gate's (RELATED_IMAGE_GATE) are the one image just built.
patches:
- target: {kind: Deployment, name: singleton-operator-controller-manager}
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: singleton-operator-controller-manager, namespace: singleton-operator-system}
    spec:
      template:
        spec:
          containers:
          - name: manager
            image: "$image"
            env:
            - {name: RELATED_IMAGE_GATE, value: "$image"}
            - {name: SSL_CERT_DIR, value: /etc/e2e-registry-ca}
            volumeMounts:
            - {name: e2e-registry-ca, mountPath: /etc/e2e-registry-ca, readOnly: true}
          volumes:
          - {name: e2e-registry-ca, configMap: {name: e2e-registry-ca}}
YAML
# E2E_LOG_LEVEL (debug, or a number: 2 is V(2)) raises the manager's log level, for reading a
# run's steps in its logs.
if [[ -n ${E2E_LOG_LEVEL:-} ]]; then
	cat >>"$overlay/kustomization.yaml" <<YAML
- target: {kind: Deployment, name: singleton-operator-controller-manager}
  patch: |-
    - {op: add, path: /spec/template/spec/containers/0/args/-, value: "--zap-log-level=$E2E_LOG_LEVEL"}
YAML
fi
"$KUSTOMIZE" build "$overlay" |
	hack/cluster.sh exec -- kubectl apply --server-side --force-conflicts -f - >&2
hack/cluster.sh exec -- kubectl -n singleton-operator-system rollout status \
	deploy/singleton-operator-controller-manager --timeout=180s >&2

# The monitoring specs (test/e2e/monitoring_test.go) run the bundle's ServiceMonitor and
# PrometheusRule through a real Prometheus Operator, run here as a local process, and Debian's
# Prometheus server: the CRDs, then config/prometheus as the bundle ships it.
[[ -n ${MONITORING_CRDS:-} ]] || die "MONITORING_CRDS is not set: run \`make test-e2e\`, which generates the CRDs"
echo "==> installing the Prometheus Operator's CRDs and config/prometheus" >&2
hack/cluster.sh exec -- kubectl apply --server-side -f "$MONITORING_CRDS" >&2
hack/cluster.sh exec -- kubectl wait --for condition=established --timeout=60s -f "$MONITORING_CRDS" >&2
"$KUSTOMIZE" build config/prometheus | hack/cluster.sh exec -- kubectl apply --server-side --force-conflicts -f - >&2

# kwok plays the lost node of test/e2e/node_loss_test.go with the stages kwok ships: a node
# made Ready and kept so by heartbeats, pods made Running.
kwok_dir=$(go mod download -json "sigs.k8s.io/kwok@${KWOK_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
kwok_stages="$kwok_dir/kustomize/stage/node/fast/node-initialize.yaml,$kwok_dir/kustomize/stage/node/heartbeat/node-heartbeat.yaml"
kwok_stages+=",$kwok_dir/kustomize/stage/pod/fast/pod-ready.yaml"

echo "==> running test/e2e" >&2
# Compile outside the namespace, where the module proxy is reachable; run inside it. The
# hand-over benchmark's application (test/bench/app) goes into an image the suite builds.
go test -tags e2e -c -o /dev/null ./test/e2e
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o bin/bench-app ./test/bench/app
hack/cluster.sh exec -- env E2E_OPERATOR_IMAGE="$image" E2E_KWOK_STAGES="$kwok_stages" E2E_REGISTRY_TLS="$registry_tls" \
	E2E_PROMETHEUS_OPERATOR="$prometheus_operator" E2E_PROMETHEUS=/usr/bin/prometheus E2E_BENCH_APP="$PWD/bin/bench-app" \
	go test -tags e2e -count=1 -timeout "$E2E_TIMEOUT" -v ./test/e2e -args -ginkgo.v -ginkgo.label-filter="$E2E_LABEL_FILTER" "${focus[@]}"
