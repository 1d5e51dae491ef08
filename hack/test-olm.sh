#!/usr/bin/env bash
# Installs the operator with OLM v0 on the local cluster and upgrades it, with no registry and no
# container engine (make test-olm):
#
#   1. builds OLM's olm and catalog operators (hack/build-olm.sh) and opm;
#   2. writes a temporary catalog: catalog/ (every release) plus bundle/ as the next release,
#      objects embedded (hack/catalog.sh preview);
#   3. builds the operator's image of the last release from the commit catalog/releases.yaml
#      records (cached by commit) and the current one from the working tree, each under the name
#      its CSV uses; an image the CSV names by digest must be built with that very digest;
#   4. restarts the local cluster (so that no kustomize deployment of the e2e suite is left),
#      imports the images, installs OLM's CRDs, and starts `opm serve` and OLM's two operators as
#      local processes inside the cluster's network namespace (they bind every interface);
#   5. runs test/olm inside that namespace: CatalogSource, OperatorGroup, Subscription with
#      manual approval from the last release, its webhook and a StatefulSingleton, the upgrade
#      through channel stable, a hand-over by the upgraded operator, metrics, the custom
#      scorecard tests (cmd/scorecard-tests) as pods, uninstall.
#
# It holds the lock that hack/test-e2e.sh holds on the local cluster from step 4 to the end,
# stops every process it started, and stops the cluster unless KEEP_CLUSTER=1. On failure the
# logs of OLM, opm and the operator are copied to bin/test-olm-logs/.
#
# Environment: OPM (default bin/opm), KUSTOMIZE (default bin/kustomize), MONITORING_CRDS (the
# directory of the ServiceMonitor and PrometheusRule CRDs, `make monitoring-crds`), CONSOLE_CRDS
# (the directory of OpenShift's ConsoleYAMLSample and ConsoleQuickStart CRDs, `make console-crds`),
# OLM_TEST_TIMEOUT (default 15m), KEEP_CLUSTER.
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=hack/env.sh
source hack/env.sh

OPM=${OPM:-bin/opm}
KUSTOMIZE=${KUSTOMIZE:-bin/kustomize}
OLM_TEST_TIMEOUT=${OLM_TEST_TIMEOUT:-15m}
# OLM's namespace: the catalog operator's global catalog namespace.
OLM_NAMESPACE=olm
CATALOG_ADDRESS=127.0.0.1:50051

PATH="$(hack/build-kube.sh | tail -n1):$PATH"
olm_bin=$(hack/build-olm.sh | tail -n1)
olm_crds="$(dirname "$olm_bin")/crds"
[[ -x $OPM ]] || make opm >&2

work=$(mktemp -d "${TMPDIR:-/tmp}/singleton-olm.XXXXXX")
pids=()
cluster_started=false
cleanup() {
	local rc=$? pid
	if ((rc != 0)) && $cluster_started; then
		log "failed; logs in bin/test-olm-logs"
		rm -rf bin/test-olm-logs && mkdir -p bin/test-olm-logs
		cp "$work"/*.log bin/test-olm-logs/ 2>/dev/null || true
		hack/cluster.sh exec -- kubectl -n singleton-operator-system logs deploy/singleton-operator-controller-manager \
			--all-containers >bin/test-olm-logs/operator.log 2>&1 || true
		hack/cluster.sh exec -- kubectl get csv,subscription,installplan,catalogsource -A -o yaml \
			>bin/test-olm-logs/olm-objects.yaml 2>&1 || true
		hack/cluster.sh exec -- kubectl get pods,services,endpointslices,mutatingwebhookconfigurations -A -o wide \
			>bin/test-olm-logs/cluster.txt 2>&1 || true
		hack/cluster.sh exec -- kubectl get clusterroles,clusterrolebindings --show-labels 2>&1 |
			grep -e singleton -e NAME >>bin/test-olm-logs/cluster.txt || true
		hack/cluster.sh exec -- kubectl get events -A --sort-by=.lastTimestamp >>bin/test-olm-logs/cluster.txt 2>&1 || true
	fi
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if $cluster_started && [[ -z ${KEEP_CLUSTER:-} ]]; then
		hack/cluster.sh down >&2 || true
	fi
	rm -rf "$work"
	log "done (exit $rc)"
	exit "$rc"
}
trap cleanup EXIT

log "writing the catalog: catalog/ plus bundle/"
mapfile -t rel < <(OPM="$OPM" hack/catalog.sh preview "$work/catalog")
((${#rel[@]} == 5)) || die "hack/catalog.sh preview printed ${#rel[*]} lines, not 5"
prev_csv=${rel[0]} prev_image=${rel[1]} prev_commit=${rel[2]} cur_csv=${rel[3]} cur_image=${rel[4]}

# build_image <source dir> <image> <version> <tarball> [manager|scorecard-tests]: the image as
# hack/operator-image.sh of that source builds it, under the name the bundle uses. A reference
# by tag (releases before 0.2.0) is built with that tag; a reference by digest is built as
# `make bundle` builds it (RELEASE=1, tag v<version>), and must come out with that digest: the
# bundle names exactly the image its sources build.
build_image() {
	local src=$1 image=$2 version=$3 out=$4 what=${5:-manager} built
	if [[ $image != *@sha256:* ]]; then
		IMAGE_REPO=${image%:*} IMAGE_TAG=${image##*:} IMAGE_OUT=$out VERSION=v$version \
			"$src/hack/operator-image.sh" "$what" >/dev/null
		return
	fi
	built=$(RELEASE=1 IMAGE_REPO=${image%@*} IMAGE_TAG=v$version IMAGE_OUT=$out VERSION=v$version \
		"$src/hack/operator-image.sh" "$what")
	[[ $built == "$image" ]] ||
		die "the bundle names $image, but its sources build $built: run make bundle (and commit it), with the Go toolchain it was made with ($(go env GOVERSION) here)"
}

log "building $prev_image from $prev_commit (the last release)"
release_dir="$SINGLETON_CACHE/olm-releases/$prev_commit"
prev_tar="$release_dir/$(tr '/:@' '___' <<<"$prev_image").tar"
if [[ ! -f $prev_tar ]]; then
	git cat-file -e "$prev_commit^{commit}" 2>/dev/null ||
		die "commit $prev_commit of $prev_csv is not in this repository"
	rm -rf "$release_dir/src" && mkdir -p "$release_dir/src"
	git archive "$prev_commit" | tar -x -C "$release_dir/src"
	build_image "$release_dir/src" "$prev_image" "${prev_csv##*.v}" "$prev_tar.tmp"
	mv "$prev_tar.tmp" "$prev_tar"
	rm -rf "$release_dir/src"
fi
log "building $cur_image from the working tree"
cur_tar="$SINGLETON_CACHE/images/olm-current.tar"
build_image "$PWD" "$cur_image" "${cur_csv##*.v}" "$cur_tar"

# The custom scorecard tests (cmd/scorecard-tests), when the repository has them: their image
# under the name bundle/tests/scorecard/config.yaml uses, the tests of its custom stage, and the
# RBAC scorecard runs them with (config/scorecard/rbac).
scorecard_image="" scorecard_tests="" scorecard_tar="$SINGLETON_CACHE/images/olm-scorecard-tests.tar"
scorecard_config=bundle/tests/scorecard/config.yaml
if [[ -d cmd/scorecard-tests && -f $scorecard_config && -d config/scorecard/rbac ]]; then
	scorecard_image=$(sed -n 's/^ *image: \(.*scorecard-tests[:@].*\)$/\1/p' "$scorecard_config" | head -n1)
	scorecard_tests=$(awk 'prev ~ /- \/scorecard-tests$/ { sub(/^ *- */, ""); print } { prev = $0 }' "$scorecard_config" | tr '\n' ' ')
	log "building $scorecard_image ($scorecard_tests)"
	build_image "$PWD" "$scorecard_image" "${cur_csv##*.v}" "$scorecard_tar" scorecard-tests
	"$KUSTOMIZE" build config/scorecard/rbac >"$work/scorecard-rbac.yaml"
fi

log "building test/olm"
go test -tags olm -c -o "$work/olm.test" ./test/olm

# From here on the local cluster is this script's alone (see hack/test-e2e.sh).
mkdir -p "$SINGLETON_CACHE"
exec 8>"$SINGLETON_CACHE/cluster-tests.lock"
log "waiting for the local cluster's lock"
flock -w 3600 8 || die "timed out waiting for $SINGLETON_CACHE/cluster-tests.lock"

log "restarting the local cluster"
cluster_started=true
hack/cluster.sh down >&2 8>&-
hack/cluster.sh up >&2 8>&-
hack/cluster.sh load-image "$prev_tar" 8>&-
hack/cluster.sh load-image "$cur_tar" 8>&-
if [[ -n $scorecard_image ]]; then hack/cluster.sh load-image "$scorecard_tar" 8>&-; fi

kubectl_() { hack/cluster.sh exec -- kubectl "$@" 8>&-; }
log "installing OLM's CRDs"
kubectl_ apply --server-side -f "$olm_crds" >&2
kubectl_ wait --for condition=established --timeout=60s -f "$olm_crds" >&2
kubectl_ create namespace "$OLM_NAMESPACE" >&2
# The bundle ships a ServiceMonitor and a PrometheusRule: their CRDs must exist, as on OpenShift.
if [[ -n ${MONITORING_CRDS:-} ]]; then
	log "installing the ServiceMonitor and PrometheusRule CRDs"
	kubectl_ apply --server-side -f "$MONITORING_CRDS" >&2
	kubectl_ wait --for condition=established --timeout=60s -f "$MONITORING_CRDS" >&2
fi
# And a ConsoleYAMLSample and ConsoleQuickStart each: OpenShift's console CRDs (make console-crds).
if [[ -n ${CONSOLE_CRDS:-} ]]; then
	log "installing OpenShift's ConsoleYAMLSample and ConsoleQuickStart CRDs"
	kubectl_ apply --server-side -f "$CONSOLE_CRDS" >&2
	kubectl_ wait --for condition=established --timeout=60s -f "$CONSOLE_CRDS" >&2
fi

# start <name> <command...>: a process inside the cluster's network namespace, logging to
# $work/<name>.log. Temporary files go to $work.
start() {
	local name=$1
	shift
	hack/cluster.sh exec -- env TMPDIR="$work" "$@" >"$work/$name.log" 2>&1 8>&- &
	pids+=($!)
}
log "starting opm serve and OLM's olm and catalog operators"
start opm "$OPM" serve "$work/catalog" --port "${CATALOG_ADDRESS##*:}" \
	--termination-log "$work/opm-termination.log" --pprof-addr 127.0.0.1:0
start olm "$olm_bin/olm" --namespace "$OLM_NAMESPACE" --writeStatusName "" \
	--writePackageServerStatusName "" --interval 30s
start catalog "$olm_bin/catalog" --namespace "$OLM_NAMESPACE" --writeStatusName "" --interval 30s

log "running test/olm: $prev_csv, then the upgrade to $cur_csv"
hack/cluster.sh exec -- env OLM_CATALOG_ADDRESS="$CATALOG_ADDRESS" OLM_CATALOG_NAMESPACE="$OLM_NAMESPACE" \
	OLM_PREVIOUS_CSV="$prev_csv" OLM_PREVIOUS_IMAGE="$prev_image" \
	OLM_CURRENT_CSV="$cur_csv" OLM_CURRENT_IMAGE="$cur_image" \
	OLM_SCORECARD_IMAGE="$scorecard_image" OLM_SCORECARD_TESTS="$scorecard_tests" \
	OLM_SCORECARD_RBAC="$work/scorecard-rbac.yaml" \
	"$work/olm.test" -test.v -test.timeout "$OLM_TEST_TIMEOUT" -ginkgo.v 8>&-
