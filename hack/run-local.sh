#!/usr/bin/env bash
# `make run`: runs the operator on this machine against a cluster. With a reachable cluster
# configured (KUBECONFIG or ~/.kube/config) it uses that one; otherwise it starts the local
# cluster of hack/cluster.sh and stops it again on exit. It installs the CRDs, starts the
# operator, applies the samples, shows their status, and keeps the operator running in the
# foreground until Ctrl-C.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=hack/env.sh
source hack/env.sh
# kubectl and the cluster's binaries come from the pinned build, not from whatever is on PATH.
PATH="$(hack/build-kube.sh | tail -n1):$PATH"

# in_cluster runs a command where the chosen cluster is reachable.
in_cluster() { "$@"; }
started=false
if kubectl version --request-timeout=5s >/dev/null 2>&1; then
	echo "==> using the configured cluster: $(kubectl config current-context 2>/dev/null || echo in-cluster)" >&2
	metrics_addr=127.0.0.1:8443
else
	echo "==> no cluster is configured or reachable; starting the local cluster" >&2
	hack/cluster.sh status >/dev/null 2>&1 || { hack/cluster.sh up; started=true; }
	in_cluster() { hack/cluster.sh exec -- "$@"; }
	metrics_addr=:8443
fi

operator_pid=""
cleanup() {
	# Finish the clean-up even if the terminal or a pipe reading our output is gone, and
	# through a second Ctrl-C; the children started below inherit the ignored signals.
	trap '' INT TERM PIPE
	trap - EXIT
	if [[ -n $operator_pid ]] && kill -0 "$operator_pid" 2>/dev/null; then
		echo "==> stopping the operator" >&2
		kill -TERM "$operator_pid" 2>/dev/null || true
		wait "$operator_pid" 2>/dev/null || true
	fi
	if $started; then
		hack/cluster.sh down
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "==> installing the CRDs" >&2
in_cluster kubectl apply --server-side --force-conflicts -k config/crd >&2
in_cluster kubectl wait --for=condition=Established --timeout=60s crd/statefulsingletons.apps.statefulsingleton.com >&2

echo "==> building and starting the operator" >&2
go build -o bin/manager .
# No pod webhook here: the API server cannot call a manager outside the cluster, and no
# MutatingWebhookConfiguration is installed; selected pods are reported as unguarded (S3).
# `make deploy` runs the operator with its webhook.
in_cluster bin/manager --metrics-bind-address="$metrics_addr" --health-probe-bind-address=127.0.0.1:8081 \
	--enable-webhooks=false --zap-devel &
operator_pid=$!

echo "==> applying the samples" >&2
in_cluster kubectl apply --server-side -k config/samples/workload >&2
in_cluster kubectl apply --server-side -k config/samples >&2
in_cluster kubectl wait --for=jsonpath='{.status.phase}' statefulsingletons --all --timeout=60s >&2
in_cluster kubectl wait --for=condition=Available deployments --all --timeout=120s >&2
in_cluster kubectl get statefulsingletons,deployments,pods -o wide
echo "==> the operator runs until Ctrl-C; in another shell: hack/cluster.sh exec -- kubectl get statefulsingletons -w" >&2
wait "$operator_pid"
