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
local_cluster=false
if kubectl version --request-timeout=5s >/dev/null 2>&1; then
	echo "==> using the configured cluster: $(kubectl config current-context 2>/dev/null || echo in-cluster)" >&2
	metrics_addr=127.0.0.1:8443
else
	echo "==> no cluster is configured or reachable; starting the local cluster" >&2
	hack/cluster.sh status >/dev/null 2>&1 || {
		hack/cluster.sh up
		started=true
	}
	in_cluster() { hack/cluster.sh exec -- "$@"; }
	local_cluster=true
	metrics_addr=:8443
fi

operator_pid=""
cleanup() {
	# Finish the clean-up even if the terminal or a pipe reading our output is gone (`make run |
	# tee log` and Ctrl-C: tee dies first, and every write fails), and through a second Ctrl-C;
	# the children started below inherit the ignored signals.
	set +e
	trap '' INT TERM PIPE
	trap - EXIT
	if [[ -n $operator_pid ]] && kill -0 "$operator_pid" 2>/dev/null; then
		echo "==> stopping the operator" >&2
		kill -TERM "$operator_pid" 2>/dev/null || true
		wait "$operator_pid" 2>/dev/null || true
	fi
	if $local_cluster && ! $started; then
		# The guard configuration goes with it (ownerReference); delete it too, so that the
		# selected pods are not refused while the garbage collector catches up.
		in_cluster kubectl delete mutatingwebhookconfiguration "$local_webhook" singleton-operator-guard \
			--ignore-not-found >&2 || true
	fi
	if $started; then
		hack/cluster.sh down
	fi
}

# install_local_webhook serves the pod webhook from this process: a self-signed certificate for
# 127.0.0.1, and config/webhook's configuration with a URL in place of the Service.
local_webhook=singleton-operator-make-run
webhook_certs="$CLUSTER_DIR/make-run-webhook-certs"
install_local_webhook() {
	mkdir -p "$webhook_certs"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$webhook_certs/tls.key" -out "$webhook_certs/tls.crt" 2>/dev/null
	local ca
	ca=$(base64 -w0 <"$webhook_certs/tls.crt")
	sed -e "s/^  name: mutating-webhook-configuration\$/  name: $local_webhook/" \
		-e "/^    service:\$/,/^      path:/c\\    url: https://127.0.0.1:9443/mutate--v1-pod\n    caBundle: $ca" \
		config/webhook/manifests.yaml | in_cluster kubectl apply --server-side -f - >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "==> installing the CRDs" >&2
in_cluster kubectl apply --server-side --force-conflicts -k config/crd >&2
# `kubectl wait` fails at once on an object with no conditions yet; retry it for a while.
wait_for() {
	local deadline=$((SECONDS + 120))
	until in_cluster kubectl wait --timeout=10s "$@" >&2 2>/dev/null; do
		((SECONDS < deadline)) || {
			in_cluster kubectl wait --timeout=1s "$@" >&2
			return 1
		}
		sleep 1
	done
}
wait_for --for=condition=Established crd/statefulsingletons.apps.statefulsingleton.com

echo "==> building and starting the operator" >&2
go build -o bin/manager ./cmd
manager_flags=(--metrics-bind-address="$metrics_addr" --health-probe-bind-address=127.0.0.1:8081
	--zap-encoder=console --zap-log-level=info)
if $local_cluster; then
	# The manager runs in the cluster's network namespace, where the API server reaches its
	# webhook at 127.0.0.1; the gate it injects comes from the operator's image, imported here.
	image=$(hack/operator-image.sh)
	hack/cluster.sh load-image "$SINGLETON_CACHE/images/operator.tar"
	install_local_webhook
	# The guard configuration (singleton-operator-guard) copies this configuration's URL and
	# caBundle, and is owned by it: deleting it at exit removes the guard too.
	manager_flags+=(--webhook-cert-dir="$webhook_certs" --gate-image="$image" --webhook-configuration-name="$local_webhook")
else
	# A cluster elsewhere cannot call a manager on this machine: no pod webhook, so selected
	# pods are reported as unguarded (S3). `make deploy` runs the operator with its webhook.
	manager_flags+=(--enable-webhooks=false)
fi
in_cluster bin/manager "${manager_flags[@]}" &
operator_pid=$!
until in_cluster busybox wget -q -O /dev/null http://127.0.0.1:8081/readyz 2>/dev/null; do
	kill -0 "$operator_pid" 2>/dev/null || {
		echo "the operator exited" >&2
		exit 1
	}
	sleep 0.2
done

echo "==> applying the samples" >&2
# The StatefulSingleton first, so that the webhook prepares the workload's pod. (The
# ReportedState sample needs a KubeStellar WDS and ITS; docs/reported-state.md shows how.)
in_cluster kubectl apply --server-side -f config/samples/apps_v1_statefulsingleton.yaml >&2
wait_for --for=jsonpath='{.status.phase}' statefulsingletons --all
in_cluster kubectl apply --server-side -k config/samples/workload >&2
wait_for --for=condition=Available deployments --all
in_cluster kubectl get statefulsingletons,deployments,pods -o wide
echo "==> the operator runs until Ctrl-C; in another shell: hack/cluster.sh exec -- kubectl get statefulsingletons -w" >&2
wait "$operator_pid"
