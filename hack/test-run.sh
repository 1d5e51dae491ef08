#!/usr/bin/env bash
# `make test-run`: runs `make run` as a newcomer would, on a machine with no cluster configured,
# and checks what the README promises: the local cluster starts, the sample StatefulSingleton
# reaches phase Running, the reported-state sample shows in its WDS's Deployments what their
# WECs report (one WEC's status copied with kubestellar.io/executing-count=1; three WECs
# summarized, without the label, naming the WEC that lags), and Ctrl-C (SIGINT to the whole process group, as a terminal sends it)
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
# make run's own HOME: every process it starts inherits it, which tells them from the processes
# of other work on this machine (integration tests start the same kube-apiserver and etcd).
home=$(mktemp -d)
# A session of its own, so that the Ctrl-C below reaches make, the script and tee together,
# and nothing else. No KUBECONFIG: make run must start the local cluster itself.
# shellcheck disable=SC2016 # $0 is expanded by the inner bash
env -u KUBECONFIG HOME="$home" GOCACHE="$(go env GOCACHE)" GOMODCACHE="$(go env GOMODCACHE)" \
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
log "the sample runs"

# The reported-state part: what make run printed, and the WDS objects themselves.
demo_dir="$SINGLETON_CACHE/make-run-reportedstate"
wds_get() {
	hack/cluster.sh exec -- kubectl --kubeconfig "$demo_dir/wds.kubeconfig" -n demo get deployment "$1" -o jsonpath="$2"
}
[[ $(wds_get solo '{.metadata.labels.kubestellar\.io/executing-count} {.status.availableReplicas}') == "1 2" ]] ||
	die "solo (singleton, one WEC) does not show its WEC's status and executing count 1: $(wds_get solo '{.metadata}{.status}')"
[[ $(wds_get fleet '{.metadata.labels.kubestellar\.io/executing-count}|{.status.availableReplicas}|{.status.conditions[?(@.type=="Available")].message}') == "|1|False in wec3; True in wec1, wec2"* ]] ||
	die "fleet (multi-WEC, three WECs) does not show their summary without an executing count: $(wds_get fleet '{.metadata}{.status}')"
grep -Eq '^solo +2/2 +2 +2 .* 1$' "$out" || die "make run did not print solo's status and executing count: $(tail -n 20 "$out")"
grep -Eq '^fleet +1/3 +3 +1 ' "$out" || die "make run did not print fleet's summarized status: $(tail -n 20 "$out")"
log "the reported-state sample shows its WECs' status; pressing Ctrl-C"

kill -INT -- -"$session"
deadline=$((SECONDS + 120))
while kill -0 "$session" 2>/dev/null; do
	((SECONDS < deadline)) || die "make run did not stop within 2 minutes of Ctrl-C"
	sleep 1
done
trap - EXIT
hack/cluster.sh status >/dev/null 2>&1 && die "Ctrl-C left the local cluster running"
# started_by_make_run lists the processes that carry make run's HOME, with their command lines:
# the cluster's daemons, the operator, the reported-state demo, its API servers and KubeStellar's
# controller-manager.
started_by_make_run() {
	local p
	for p in /proc/[0-9]*; do
		# Processes come and go meanwhile, and some are not ours to read: no messages.
		{ tr '\0' '\n' <"$p/environ" | grep -qxF "HOME=$home"; } 2>/dev/null || continue
		echo "${p#/proc/} $({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null)"
	done
}
left=$(started_by_make_run)
[[ -z $left ]] || die "Ctrl-C left processes running: $left"
ip netns list | grep -qw "$CLUSTER_NETNS" && die "Ctrl-C left the network namespace $CLUSTER_NETNS"
log "Ctrl-C stopped the operator and the local cluster, and left nothing behind"
