#!/usr/bin/env bash
# `make test-run`: runs `make run` as a newcomer would, on a machine with no cluster configured,
# and checks what the README promises: the local cluster starts, the sample StatefulSingleton
# reaches phase Running, and Ctrl-C (SIGINT to the whole process group, as a terminal sends it)
# stops the operator and the cluster and leaves nothing behind. Its output goes through a pipe
# that dies with the Ctrl-C, as `make run | tee run.log` does.
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=hack/env.sh
source hack/env.sh

hack/cluster.sh status >/dev/null 2>&1 && die "the local cluster is already up; stop it first (hack/cluster.sh down)"
out=$(mktemp)
# A session of its own, so that the Ctrl-C below reaches make, the script and tee together,
# and nothing else. No KUBECONFIG: make run must start the local cluster itself.
# shellcheck disable=SC2016 # $0 is expanded by the inner bash
env -u KUBECONFIG HOME="$(mktemp -d)" GOCACHE="$(go env GOCACHE)" GOMODCACHE="$(go env GOMODCACHE)" \
	SINGLETON_CACHE="$SINGLETON_CACHE" setsid bash -c 'make run 2>&1 | tee "$0" >/dev/null' "$out" &
session=$!
trap 'kill -KILL -- -"$session" 2>/dev/null || true; hack/cluster.sh down >/dev/null 2>&1 || true' EXIT

log "waiting for make run to apply the samples and show them (up to 15 minutes on a cold cache)"
deadline=$((SECONDS + 900))
until grep -q 'the operator runs until Ctrl-C' "$out"; do
	kill -0 "$session" 2>/dev/null || die "make run exited early: $(tail -n 20 "$out")"
	((SECONDS < deadline)) || die "make run did not get there: $(tail -n 20 "$out")"
	sleep 1
done
deadline=$((SECONDS + 120))
until [[ $(hack/cluster.sh exec -- kubectl get statefulsingleton statefulsingleton-sample -o jsonpath='{.status.phase}') == Running ]]; do
	((SECONDS < deadline)) || die "the sample StatefulSingleton is not Running: $(tail -n 20 "$out")"
	sleep 1
done
log "the sample runs; pressing Ctrl-C"

kill -INT -- -"$session"
deadline=$((SECONDS + 120))
while kill -0 "$session" 2>/dev/null; do
	((SECONDS < deadline)) || die "make run did not stop within 2 minutes of Ctrl-C"
	sleep 1
done
trap - EXIT
hack/cluster.sh status >/dev/null 2>&1 && die "Ctrl-C left the local cluster running"
pgrep -f "$SINGLETON_CACHE/kube-" >/dev/null && die "Ctrl-C left cluster processes: $(pgrep -af "$SINGLETON_CACHE/kube-")"
pgrep -f 'bin/manager' >/dev/null && die "Ctrl-C left the operator running"
ip netns list | grep -qw "$CLUSTER_NETNS" && die "Ctrl-C left the network namespace $CLUSTER_NETNS"
log "Ctrl-C stopped the operator and the local cluster, and left nothing behind"
