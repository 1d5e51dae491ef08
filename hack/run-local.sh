#!/usr/bin/env bash
# `make run`: runs the operator on this machine against a cluster. With a reachable cluster
# configured (KUBECONFIG or ~/.kube/config) it uses that one; otherwise it starts the local
# cluster of hack/cluster.sh and stops it again on exit. It installs the CRDs, starts the
# operator, applies the samples, shows their status, and keeps the operator running in the
# foreground until Ctrl-C. For reported state it also starts, as local processes beside the
# operator, a KubeStellar WDS and ITS with KubeStellar's binding controller, two sample
# BindingPolicies and the WorkStatuses their WECs would report (hack/reportedstate-demo), points
# the sample ReportedState at them, and shows the WDS objects' status.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=hack/env.sh
source hack/env.sh
# kubectl and the cluster's binaries come from the pinned build, not from whatever is on PATH.
kube_bin="$(hack/build-kube.sh | tail -n1)"
PATH="$kube_bin:$PATH"

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
# The reported-state demo's files: kubeconfigs of its WDS and ITS, its pid and logs.
demo_dir="$SINGLETON_CACHE/make-run-reportedstate"
demo_started=false
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
	if $demo_started; then
		stop_demo
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
# start_demo starts the reported-state demo in the background where the operator runs (the
# local cluster's network namespace: the operator reaches its API servers at 127.0.0.1).
start_demo() {
	rm -rf "$demo_dir"
	mkdir -p "$demo_dir"
	go build -o bin/reportedstate-demo ./hack/reportedstate-demo
	local ks
	ks=$(hack/build-kubestellar.sh | tail -n1)
	demo_started=true
	in_cluster env KUBEBUILDER_ASSETS="$kube_bin" bin/reportedstate-demo --dir "$demo_dir" --kubestellar "$ks" \
		>"$demo_dir/demo.log" 2>&1 &
}

# stop_demo stops the demo (it stops its API servers and KubeStellar's controller-manager), and
# removes the sample ReportedState and its Secrets from a cluster that stays up.
stop_demo() {
	local pid deadline=$((SECONDS + 60))
	pid=$(cat "$demo_dir/pid" 2>/dev/null) || pid=""
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		echo "==> stopping the reported-state demo" >&2
		kill -TERM "$pid" 2>/dev/null || true
		while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
			sleep 0.2
		done
	fi
	if ! $started; then
		in_cluster kubectl delete reportedstate wds1 --ignore-not-found >&2 || true
		in_cluster kubectl delete secret wds1-kubeconfig its1-kubeconfig --ignore-not-found >&2 || true
	fi
}

# show_reported_state points the sample ReportedState at the demo's WDS and ITS and shows what
# the operator returns into the WDS's two Deployments: one WEC's status, copied (solo), and the
# summary of three WECs, one of them still rolling out (fleet).
show_reported_state() {
	local pid deadline=$((SECONDS + 300))
	until [[ -e $demo_dir/ready ]]; do
		pid=$(cat "$demo_dir/pid" 2>/dev/null) || pid=""
		if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
			echo "the reported-state demo exited: $(tail -n 20 "$demo_dir/demo.log")" >&2
			return 1
		fi
		((SECONDS < deadline)) || {
			echo "the reported-state demo did not start: $(tail -n 20 "$demo_dir/demo.log")" >&2
			return 1
		}
		sleep 0.5
	done
	local space
	for space in wds its; do
		in_cluster kubectl create secret generic "${space}1-kubeconfig" --from-file=kubeconfig="$demo_dir/$space.kubeconfig" \
			--dry-run=client -o yaml | in_cluster kubectl apply --server-side -f - >&2
	done
	in_cluster kubectl apply --server-side -f config/samples/kubestellar_v1alpha1_reportedstate.yaml >&2
	wait_for --for=condition=Ready reportedstate/wds1
	local wds=(--kubeconfig "$demo_dir/wds.kubeconfig" -n demo)
	wait_for "${wds[@]}" --for=jsonpath='{.status.observedGeneration}'=1 deployment/solo deployment/fleet
	echo "==> reported state: the WDS's Deployments, with the status their WECs report (solo: one WEC, copied; fleet: three WECs, summarized)" >&2
	in_cluster kubectl get reportedstates
	in_cluster kubectl get deployments "${wds[@]}" -L kubestellar.io/executing-count
	in_cluster kubectl get deployments "${wds[@]}" -o custom-columns='NAME:.metadata.name,AVAILABLE:.status.conditions[?(@.type=="Available")].status,WHY:.status.conditions[?(@.type=="Available")].message'
}

trap cleanup EXIT
trap 'exit 130' INT TERM

echo "==> starting a KubeStellar WDS and ITS for the reported-state sample, in the background" >&2
start_demo

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
# The StatefulSingleton first, so that the webhook prepares the workload's pod.
in_cluster kubectl apply --server-side -f config/samples/apps_v1_statefulsingleton.yaml >&2
wait_for --for=jsonpath='{.status.phase}' statefulsingletons --all
in_cluster kubectl apply --server-side -k config/samples/workload >&2
wait_for --for=condition=Available deployments --all
in_cluster kubectl get statefulsingletons,deployments,pods -o wide
show_reported_state
echo "==> the operator runs until Ctrl-C; in another shell: hack/cluster.sh exec -- kubectl get statefulsingletons -w" >&2
wait "$operator_pid"
