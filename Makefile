# singleton-operator: build, test, deploy and bundle, in the layout of the operator-sdk go/v4
# scaffold. `make help` lists the targets.

# VERSION is the operator's semantic version; it names the bundle, the CSV and the images.
VERSION ?= 0.2.0
# PREVIOUS_VERSION is the release this one upgrades from: the CSV's `replaces` and the lower
# bound of its `olm.skipRange`. Empty for the first release. Bump it with VERSION.
PREVIOUS_VERSION ?= 0.1.0
# CREATED_AT is the release date of VERSION, the CSV's createdAt (fixed, so that `make bundle`
# is reproducible). Bump it with VERSION.
CREATED_AT ?= 2026-11-22T00:00:00Z
# The OpenShift releases the bundle is for (label com.redhat.openshift.versions): 4.16
# (Kubernetes 1.29, native sidecars) and later.
OPENSHIFT_VERSIONS ?= v4.16

# OLM channels of the bundle (its metadata; the catalog's channels come from
# catalog/template.yaml, where a release enters candidate-v0 and is later promoted to
# stable-v0: docs/install.md, "Channels").
CHANNELS ?= candidate-v0,stable-v0
DEFAULT_CHANNEL ?= stable-v0
BUNDLE_CHANNELS := --channels=$(CHANNELS)
BUNDLE_DEFAULT_CHANNEL := --default-channel=$(DEFAULT_CHANNEL)
BUNDLE_METADATA_OPTS ?= $(BUNDLE_CHANNELS) $(BUNDLE_DEFAULT_CHANNEL)

# IMAGE_TAG_BASE is the repository part of every image this project makes: the manager
# (IMG), the bundle (BUNDLE_IMG) and the catalog (CATALOG_IMG).
IMAGE_TAG_BASE ?= localhost/singleton-operator
IMG ?= $(IMAGE_TAG_BASE):dev
# The manager image the bundle's CSV runs (and injects as the gate), by digest. Empty (the
# default): `make bundle` builds the release's image, $(IMAGE_TAG_BASE):v$(VERSION), with
# hack/operator-image.sh (RELEASE=1: reproducible) into BUNDLE_IMAGES and names it
# $(IMAGE_TAG_BASE)@sha256:<its manifest digest>. Set it to name an image built elsewhere.
BUNDLE_MANAGER_IMG ?=
# The image of the custom scorecard tests (cmd/scorecard-tests): SCORECARD_TESTS_IMG is its tag
# (`make scorecard-image` writes it as SCORECARD_TESTS_TAR); the bundle's scorecard
# configuration names it by digest, BUNDLE_SCORECARD_TESTS_IMG, built like the manager's when
# empty.
SCORECARD_TESTS_IMG ?= $(IMAGE_TAG_BASE)-scorecard-tests:v$(VERSION)
BUNDLE_SCORECARD_TESTS_IMG ?=
# Where `make bundle` writes the images it builds (manager.tar, scorecard-tests.tar): the
# tarballs of exactly the images the bundle names, for `hack/cluster.sh load-image` or a push.
BUNDLE_IMAGES ?= bin/bundle-images
SCORECARD_TESTS_TAR ?= bin/singleton-operator-scorecard-tests-image.tar
BUNDLE_IMG ?= $(IMAGE_TAG_BASE)-bundle:v$(VERSION)
CATALOG_IMG ?= $(IMAGE_TAG_BASE)-catalog:v$(VERSION)

# The image tarball `make image` writes (no container engine needed).
IMAGE_TAR ?= bin/singleton-operator-image.tar

# Flags of `operator-sdk generate bundle`. The metrics scraper's ServiceAccount and its
# ClusterRole become the CSV's clusterPermissions, so that OLM binds them in the install
# namespace (a bundled ClusterRoleBinding would name a fixed namespace).
BUNDLE_GEN_FLAGS ?= -q --overwrite --version $(VERSION) $(BUNDLE_METADATA_OPTS) \
	--extra-service-accounts singleton-operator-metrics-scraper

# The container tool for docker-build, docker-push, bundle-build and catalog-build.
CONTAINER_TOOL ?= docker

# Recipes run in bash with -e and pipefail, so a failing command in a pipe fails the target.
SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

# The Kubernetes binaries hack/build-kube.sh builds (kubectl among them); `kubectl` from the
# PATH when they are not built yet. The local cluster is reachable only inside its network
# namespace: there, run `hack/cluster.sh exec -- make deploy` (and install, undeploy, ...).
KUBE_BIN_DIR ?= $(shell hack/build-kube.sh --print-dir 2>/dev/null)
KUBECTL ?= $(if $(wildcard $(KUBE_BIN_DIR)/kubectl),$(KUBE_BIN_DIR)/kubectl,kubectl)

# The version cmd/main.go prints (-version) and logs at start.
GO_LDFLAGS ?= -X main.version=v$(VERSION)

# Packages of the unit tests: every package except the ones under test/.
UNIT_PACKAGES = $$(go list ./... | grep -v '/test/')
# Flags of the unit tests. -race adds about a second to a warm run on 2 cores; its first build
# of the dependencies takes about 5 minutes. TEST_UNIT_FLAGS= turns it off.
TEST_UNIT_FLAGS ?= -race

.PHONY: all
all: build

##@ General

# The help target prints every target that has a `##` comment, grouped by the `##@` lines.

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate the CRD, the manager ClusterRole and the webhook configuration from the markers.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd webhook paths="./..." output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: controller-gen ## Generate the DeepCopy methods of the API types.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./..."

.PHONY: fmt
fmt: ## Run go fmt on the code.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet on the code.
	go vet ./...

.PHONY: lint
lint: golangci-lint lint-shell ## Run golangci-lint and the shell checks.
	$(GOLANGCI_LINT) run

# The shell scripts: shellcheck (following sourced files) and shfmt (style from .editorconfig),
# both Debian packages that hack/install-deps.sh installs.
SHELL_SCRIPTS = $$(git ls-files '*.sh' .ci/run)

.PHONY: lint-shell
lint-shell: ## Check the shell scripts with shellcheck and shfmt.
	hack/install-deps.sh
	shellcheck -x $(SHELL_SCRIPTS)
	shfmt -d $(SHELL_SCRIPTS)

.PHONY: lint-fix
lint-fix: golangci-lint ## Run golangci-lint and apply its fixes.
	$(GOLANGCI_LINT) run --fix

.PHONY: lint-config
lint-config: golangci-lint ## Check .golangci.yml against the golangci-lint schema.
	$(GOLANGCI_LINT) config verify

##@ Test

.PHONY: test
test: test-unit test-bundle test-integration test-e2e test-olm test-run ## Run every test: unit, bundle, integration, end-to-end, the OLM install and upgrade, then make run as a newcomer runs it.

.PHONY: test-unit
test-unit: manifests generate vet ## Run the unit tests (every package outside test/), with coverage in cover.out.
	go test $(TEST_UNIT_FLAGS) $(UNIT_PACKAGES) -coverprofile cover.out

# The model checker of the StatefulSingleton reconciler (internal/controller/apps/modelcheck_*_test.go)
# runs in test-unit with small bounds; test-modelcheck explores deeper (-modelcheck.deeper events
# past each scenario's bound, at most -modelcheck.maxstates states each) and walks longer, from a
# seed taken from the clock and printed (-modelcheck.seed=N replays it). About 3 KB per state
# explored at GOGC=100; no -race, the model checker runs on one goroutine.
MODELCHECK_FLAGS ?= -modelcheck.deeper=3 -modelcheck.maxstates=1500000 -modelcheck.walks=5000 \
	-modelcheck.walkdepth=80 -modelcheck.seed=$(shell date +%s)

.PHONY: test-modelcheck
test-modelcheck: ## Run the model checker of the StatefulSingleton reconciler deeper and longer than test-unit (MODELCHECK_FLAGS).
	GOGC=100 go test ./internal/controller/apps/ -run '^TestModelCheck' -count=1 -v -timeout 60m -args $(MODELCHECK_FLAGS)

# The bundle tests regenerate the bundle in a copy of the repository with the tools of LOCALBIN,
# run promtool (Debian package prometheus, hack/install-deps.sh) on the alerting rules, and run
# the custom scorecard tests that need no kubelet against a real kube-apiserver.
.PHONY: test-bundle
test-bundle: manifests kustomize operator-sdk opm controller-gen monitoring-crds console-crds ## Check the OLM bundle (test/bundle): validators, scorecard checks, reproducibility, alert rules.
	hack/install-deps.sh
	assets="$$(hack/build-kube.sh | tail -n 1)"; \
	KUBEBUILDER_ASSETS="$$assets" LOCALBIN="$(LOCALBIN)" MONITORING_CRDS="$(MONITORING_CRDS)" CONSOLE_CRDS="$(CONSOLE_CRDS)" go test ./test/bundle/...

# hack/build-kube.sh builds (or finds in its cache) the kube-apiserver, etcd and kubectl that
# envtest starts, and prints their directory as its last line of stdout.
.PHONY: test-integration
test-integration: manifests generate ## Run the integration tests (test/integration) against a real kube-apiserver and etcd.
	assets="$$(hack/build-kube.sh | tail -n 1)"; \
	KUBEBUILDER_ASSETS="$$assets" go test ./test/integration/... -v

.PHONY: test-e2e
test-e2e: manifests generate kustomize monitoring-crds ## Run the end-to-end tests (hack/test-e2e.sh) on the local cluster, with a real Prometheus Operator and Prometheus.
	KUSTOMIZE="$(KUSTOMIZE)" MONITORING_CRDS="$(MONITORING_CRDS)" hack/test-e2e.sh

# hack/test-olm.sh builds OLM v0's olm and catalog operators (hack/build-olm.sh), serves catalog/
# plus bundle/ with opm, and installs the last release, then upgrades to bundle/ (test/olm).
.PHONY: test-olm
test-olm: opm kustomize monitoring-crds console-crds ## Install the last release with OLM on the local cluster and upgrade it to bundle/ (hack/test-olm.sh).
	OPM="$(OPM)" KUSTOMIZE="$(KUSTOMIZE)" MONITORING_CRDS="$(MONITORING_CRDS)" CONSOLE_CRDS="$(CONSOLE_CRDS)" hack/test-olm.sh

# hack/test-run.sh runs `make run` with no cluster configured, waits for the sample to run,
# presses Ctrl-C and checks that nothing is left (no cluster, no process, no netns).
.PHONY: test-run
test-run: ## Run make run as a newcomer would, Ctrl-C it, and check that it leaves nothing behind (hack/test-run.sh).
	hack/test-run.sh

.PHONY: bench-handover
bench-handover: manifests generate kustomize monitoring-crds ## Measure hand-overs: N rollouts (BENCH_ROLLOUTS, 20) under a StatefulSingleton (fast hand-over on/off, with/without command), Recreate, RollingUpdate; BENCH_ROWS (a regexp) picks rows.
	KUSTOMIZE="$(KUSTOMIZE)" MONITORING_CRDS="$(MONITORING_CRDS)" E2E_LABEL_FILTER=bench E2E_TIMEOUT=60m \
		BENCH_OUT="$(CURDIR)/bin/bench-handover.txt" hack/test-e2e.sh
	@cat bin/bench-handover.txt

# BENCH_RS_FLAGS: flags of test/bench/reportedstate, for example
# BENCH_RS_FLAGS="-objects 10000 -wecs 10" for the full scale of docs/benchmarks-reportedstate.md.
BENCH_RS_FLAGS ?= -objects 1000 -wecs 10

.PHONY: bench-reportedstate
bench-reportedstate: ## Measure the reported-state reconciler: sync, lag at rising rates, writes, CPU and memory (BENCH_RS_FLAGS).
	mkdir -p bin; assets="$$(hack/build-kube.sh | tail -n 1)"; \
	KUBEBUILDER_ASSETS="$$assets" go run ./test/bench/reportedstate $(BENCH_RS_FLAGS) -out bin/bench-reportedstate.txt

##@ Build

.PHONY: build
build: manifests generate vet ## Build the manager binary into bin/manager.
	go build -ldflags="$(GO_LDFLAGS)" -o bin/manager ./cmd

.PHONY: run
run: manifests generate ## Run the operator on this machine against the configured cluster, or the local one (hack/run-local.sh).
	hack/run-local.sh

# `image` needs no container engine: hack/imagetool writes an OCI image tarball holding the
# static manager and gate binaries, which the local cluster imports.
.PHONY: image
image: manifests generate ## Build static bin/manager and bin/gate and the image tarball IMAGE_TAR tagged IMG, without a container engine.
	CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w $(GO_LDFLAGS)" -o bin/manager ./cmd
	CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o bin/gate ./cmd/gate
	go run ./hack/imagetool build --tag $(IMG) --out $(IMAGE_TAR) \
		--add bin/manager:/manager --add bin/gate:/gate --entrypoint /manager --user 65532:65532

# The custom scorecard tests as an image (no container engine needed), entrypoint
# /scorecard-tests; scorecard runs it as [/scorecard-tests, <test name>].
.PHONY: scorecard-image
scorecard-image: ## Build static bin/scorecard-tests and the image tarball SCORECARD_TESTS_TAR tagged SCORECARD_TESTS_IMG.
	CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o bin/scorecard-tests ./cmd/scorecard-tests
	go run ./hack/imagetool build --tag $(SCORECARD_TESTS_IMG) --out $(SCORECARD_TESTS_TAR) \
		--add bin/scorecard-tests:/scorecard-tests --entrypoint /scorecard-tests --user 65532:65532

# docker-build and docker-push are for machines with a container engine; they build the
# Dockerfile (golang builder, distroless runtime).
.PHONY: docker-build
docker-build: ## Build the manager image IMG with the container tool.
	$(CONTAINER_TOOL) build --build-arg VERSION=v$(VERSION) -t $(IMG) .

.PHONY: docker-push
docker-push: ## Push the manager image IMG with the container tool.
	$(CONTAINER_TOOL) push $(IMG)

.PHONY: build-installer
build-installer: manifests generate kustomize ## Write dist/install.yaml: the CRD and every resource of the deployment, image set to IMG.
	mkdir -p dist
	cd config/manager && $(KUSTOMIZE) edit set image controller=$(IMG)
	$(KUSTOMIZE) build config/default > dist/install.yaml

##@ Deployment

ifndef ignore-not-found
  ignore-not-found = false
endif

.PHONY: install
install: manifests kustomize ## Install the CRD into the cluster of the current kubeconfig.
	$(KUSTOMIZE) build config/crd | $(KUBECTL) apply --server-side -f -

.PHONY: uninstall
uninstall: manifests kustomize ## Remove the CRD from the cluster. ignore-not-found=true ignores missing resources.
	$(KUSTOMIZE) build config/crd | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -

.PHONY: deploy
deploy: manifests kustomize ## Deploy the operator (config/default) with image IMG into the cluster of the current kubeconfig.
	cd config/manager && $(KUSTOMIZE) edit set image controller=$(IMG)
	$(KUSTOMIZE) build config/default | $(KUBECTL) apply --server-side -f -

.PHONY: undeploy
undeploy: kustomize ## Remove the operator from the cluster. ignore-not-found=true ignores missing resources.
	$(KUSTOMIZE) build config/default | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -

.PHONY: cluster-up
cluster-up: ## Start the local cluster (hack/cluster.sh up).
	hack/cluster.sh up

.PHONY: cluster-down
cluster-down: ## Stop the local cluster (hack/cluster.sh down).
	hack/cluster.sh down

##@ Bundle

# The operator-sdk flow: build the release's images (reproducibly, hack/operator-image.sh with
# RELEASE=1) and take their digests, render config/manifests through a throw-away overlay
# (bin/bundle-overlay) that sets those images by digest and the upgrade edges
# (PREVIOUS_VERSION), turn it into bundle/ (CSV, CRD, metadata) and bundle.Dockerfile, pin
# createdAt (CREATED_AT), add the manager image to relatedImages (operator-sdk lists only
# RELATED_IMAGE_* variables) and the OpenShift versions label, and validate. The result depends
# only on the repository, the Go toolchain and these variables: test/bundle regenerates it in a
# copy of the repository and compares.
BUNDLE_OVERLAY = $(CURDIR)/bin/bundle-overlay
BUNDLE_CSV = bundle/manifests/singleton-operator.clusterserviceversion.yaml

.PHONY: bundle
bundle: manifests kustomize operator-sdk ## Generate the OLM bundle (bundle/, bundle.Dockerfile) and validate it.
	rm -rf $(BUNDLE_OVERLAY) bundle/manifests bundle/metadata bundle/tests
	mkdir -p $(BUNDLE_OVERLAY)
	manager='$(BUNDLE_MANAGER_IMG)'; scorecard='$(BUNDLE_SCORECARD_TESTS_IMG)'; \
	release_image() { RELEASE=1 IMAGE_REPO="$$1" IMAGE_TAG=v$(VERSION) VERSION=v$(VERSION) \
		IMAGE_OUT="$(BUNDLE_IMAGES)/$$2.tar" hack/operator-image.sh "$$2"; }; \
	if [[ -z $$manager ]]; then manager=$$(release_image $(IMAGE_TAG_BASE) manager); fi; \
	if [[ -z $$scorecard ]]; then scorecard=$$(release_image $(IMAGE_TAG_BASE)-scorecard-tests scorecard-tests); fi; \
	[[ -n $$manager && -n $$scorecard ]] || { echo "building the release images failed" >&2; exit 1; }; \
	printf '%s\n' "$$BUNDLE_OVERLAY_KUSTOMIZATION" > $(BUNDLE_OVERLAY)/kustomization.yaml; \
	printf "$$BUNDLE_OVERLAY_RELEASE\n" "$$manager" "$$scorecard" > $(BUNDLE_OVERLAY)/release.yaml; \
	$(KUSTOMIZE) build $(BUNDLE_OVERLAY) | $(OPERATOR_SDK) generate bundle $(BUNDLE_GEN_FLAGS); \
	sed -i -e 's/^    createdAt: .*/    createdAt: "$(CREATED_AT)"/' \
		-e "s|^  relatedImages:\$$|&\n  - image: $$manager\n    name: manager|" $(BUNDLE_CSV)
	printf '\n  # OpenShift releases this bundle is for.\n  com.redhat.openshift.versions: "%s"\n' \
		'$(OPENSHIFT_VERSIONS)' >> bundle/metadata/annotations.yaml
	sed -i 's|^LABEL operators.operatorframework.io.test.config.v1=.*|&\n\n# OpenShift releases this bundle is for.\nLABEL com.redhat.openshift.versions="$(OPENSHIFT_VERSIONS)"|' \
		bundle.Dockerfile
	$(OPERATOR_SDK) bundle validate ./bundle

# The overlay's kustomization: config/manifests with every image of the manager (container,
# RELATED_IMAGE_GATE, the CSV's containerImage) and of the custom scorecard tests set from
# release.yaml (a local-config ConfigMap, not part of the output, whose two %s the recipe fills
# with the images by digest), and, when PREVIOUS_VERSION is set, the CSV's replaces and
# olm.skipRange.
define BUNDLE_OVERLAY_KUSTOMIZATION
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../../config/manifests
- release.yaml
replacements:
- source: {kind: ConfigMap, name: release, fieldPath: data.image}
  targets:
  - select: {kind: Deployment, name: singleton-operator-controller-manager}
    fieldPaths:
    - spec.template.spec.containers.[name=manager].image
    - spec.template.spec.containers.[name=manager].env.[name=RELATED_IMAGE_GATE].value
  - select: {kind: ClusterServiceVersion}
    fieldPaths:
    - metadata.annotations.containerImage
- source: {kind: ConfigMap, name: release, fieldPath: data.scorecardTestsImage}
  targets:
  - select: {kind: Configuration}
    fieldPaths:
    - stages.1.tests.*.image
$(if $(PREVIOUS_VERSION),$(BUNDLE_UPGRADE_PATCH))
endef
define BUNDLE_UPGRADE_PATCH
patches:
- target: {kind: ClusterServiceVersion}
  patch: |-
    - {op: add, path: /spec/replaces, value: singleton-operator.v$(PREVIOUS_VERSION)}
    - {op: add, path: /metadata/annotations/olm.skipRange, value: '>=$(PREVIOUS_VERSION) <$(VERSION)'}
endef
define BUNDLE_OVERLAY_RELEASE
apiVersion: v1
kind: ConfigMap
metadata:
  name: release
  annotations:
    config.kubernetes.io/local-config: "true"
data:
  image: %s
  scorecardTestsImage: %s
endef
export BUNDLE_OVERLAY_KUSTOMIZATION
export BUNDLE_OVERLAY_RELEASE

.PHONY: bundle-build
bundle-build: ## Build the bundle image BUNDLE_IMG with the container tool.
	$(CONTAINER_TOOL) build -f bundle.Dockerfile -t $(BUNDLE_IMG) .

.PHONY: bundle-push
bundle-push: ## Push the bundle image BUNDLE_IMG with the container tool.
	$(CONTAINER_TOOL) push $(BUNDLE_IMG)

##@ Release

# catalog/ is the repository's file-based catalog, generated by opm from the semver template
# catalog/template.yaml: channels candidate-v0 (every release, as soon as it is cut) and
# stable-v0 (the releases promoted after a wider test), each bundle with its objects embedded,
# the package's icon and description from the newest stable CSV. catalog/releases.yaml records
# the commit each release was cut from, which builds its bundle image (by digest in the
# template) and its operator image (hack/catalog.sh; docs/install.md, "Releasing").
.PHONY: release
release: bundle opm ## Cut release VERSION: add the committed bundle/ to catalog/ (channel candidate) with the commit it was cut from.
	@git diff --quiet -- bundle bundle.Dockerfile || { \
		echo "bundle/ differs from what make bundle writes: commit the regenerated bundle first" >&2; exit 1; }
	OPM="$(OPM)" BUNDLE_REPO="$(IMAGE_TAG_BASE)-bundle" hack/catalog.sh release

# PROMOTE is the release `make promote` adds to channel stable.
PROMOTE ?=
.PHONY: promote
promote: opm ## Promote release PROMOTE (X.Y.Z) to channel stable in catalog/.
	@[[ -n "$(PROMOTE)" ]] || { echo "set PROMOTE=X.Y.Z, a release of catalog/releases.yaml" >&2; exit 1; }
	OPM="$(OPM)" BUNDLE_REPO="$(IMAGE_TAG_BASE)-bundle" hack/catalog.sh promote $(PROMOTE)

.PHONY: catalog
catalog: opm ## Regenerate catalog/ from catalog/template.yaml (rebuilding every release's bundle image from its commit) and validate it.
	OPM="$(OPM)" BUNDLE_REPO="$(IMAGE_TAG_BASE)-bundle" hack/catalog.sh generate

# catalog-build turns catalog/ (the released bundles) into the catalog image CATALOG_IMG (opm's
# serving image on top).
.PHONY: catalog-build
catalog-build: catalog ## Build the catalog image CATALOG_IMG from catalog/ with the container tool.
	$(OPM) generate dockerfile catalog
	$(CONTAINER_TOOL) build -f catalog.Dockerfile -t $(CATALOG_IMG) .

.PHONY: catalog-push
catalog-push: ## Push the catalog image CATALOG_IMG with the container tool.
	$(CONTAINER_TOOL) push $(CATALOG_IMG)

##@ Tools

comma := ,

# Every tool is built from source into LOCALBIN under a versioned name (controller-gen-v0.23.0),
# with an unversioned symlink beside it; bumping a version builds the new file.
LOCALBIN ?= $(CURDIR)/bin
$(LOCALBIN):
	mkdir -p $(LOCALBIN)

CONTROLLER_TOOLS_VERSION ?= v0.23.0
KUSTOMIZE_VERSION ?= v5.8.2
GOLANGCI_LINT_VERSION ?= v2.15.0
OPERATOR_SDK_VERSION ?= v1.42.2
OPM_VERSION ?= v1.65.0

CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
KUSTOMIZE ?= $(LOCALBIN)/kustomize-$(KUSTOMIZE_VERSION)
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)
OPERATOR_SDK ?= $(LOCALBIN)/operator-sdk-$(OPERATOR_SDK_VERSION)
OPM ?= $(LOCALBIN)/opm-$(OPM_VERSION)

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Build controller-gen into LOCALBIN.
$(CONTROLLER_GEN): | $(LOCALBIN)
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: kustomize
kustomize: $(KUSTOMIZE) ## Build kustomize into LOCALBIN.
$(KUSTOMIZE): | $(LOCALBIN)
	$(call go-install-tool,$(KUSTOMIZE),sigs.k8s.io/kustomize/kustomize/v5,$(KUSTOMIZE_VERSION))

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Build golangci-lint into LOCALBIN.
$(GOLANGCI_LINT): | $(LOCALBIN)
	$(call go-install-tool,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))

# The module proxy refuses the version list of operator-sdk and operator-registry, so
# `go install mod@version` fails for them; hack/tools.sh builds them in a copy of the module.
.PHONY: operator-sdk
operator-sdk: $(OPERATOR_SDK) ## Build operator-sdk into LOCALBIN.
$(OPERATOR_SDK): | $(LOCALBIN)
	hack/tools.sh operator-sdk $(OPERATOR_SDK_VERSION) $(OPERATOR_SDK)
	ln -sf $(notdir $(OPERATOR_SDK)) $(LOCALBIN)/operator-sdk

.PHONY: opm
opm: $(OPM) ## Build opm (operator-registry) into LOCALBIN.
$(OPM): | $(LOCALBIN)
	hack/tools.sh opm $(OPM_VERSION) $(OPM)
	ln -sf $(notdir $(OPM)) $(LOCALBIN)/opm

# The Prometheus Operator CRDs the bundle's ServiceMonitor and PrometheusRule need, generated
# with controller-gen from the API module of prometheus-operator (the proxy serves that module,
# not the one holding the released CRD files). test/bundle installs them into a test API
# server; `kubectl apply --server-side -f $(MONITORING_CRDS)` installs them into a cluster.
PROMETHEUS_OPERATOR_VERSION ?= v0.89.0
MONITORING_CRDS ?= $(LOCALBIN)/monitoring-crds-$(PROMETHEUS_OPERATOR_VERSION)

.PHONY: monitoring-crds
monitoring-crds: $(MONITORING_CRDS) ## Generate the Prometheus Operator CRDs the bundle and the e2e monitoring specs need into MONITORING_CRDS.
$(MONITORING_CRDS): | $(CONTROLLER_GEN)
	@set -e; \
	tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	src="$$(cd "$$tmp" && go mod download -json \
		github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring@$(PROMETHEUS_OPERATOR_VERSION) | \
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p')"; \
	cp -R "$$src" "$$tmp/src"; chmod -R u+w "$$tmp/src"; \
	(cd "$$tmp/src" && $(CONTROLLER_GEN) crd:allowDangerousTypes=true paths=./v1/... output:crd:dir="$$tmp/crds"); \
	mkdir -p "$@.tmp"; \
	cp "$$tmp"/crds/monitoring.coreos.com_servicemonitors.yaml "$$tmp"/crds/monitoring.coreos.com_prometheusrules.yaml \
		"$$tmp"/crds/monitoring.coreos.com_prometheuses.yaml "$$tmp"/crds/monitoring.coreos.com_podmonitors.yaml \
		"$$tmp"/crds/monitoring.coreos.com_probes.yaml "$@.tmp"/; \
	rm -rf "$@"; mv "$@.tmp" "$@"; \
	echo "monitoring CRDs of prometheus-operator $(PROMETHEUS_OPERATOR_VERSION) in $@"

# The OpenShift console CRDs of the bundle's ConsoleYAMLSamples and ConsoleQuickStarts
# (config/manifests/console), as OpenShift ships them: the CRD files of the openshift/api module
# (from the module proxy). test/bundle creates the bundle's console objects against them, and
# hack/test-olm.sh installs them, since OLM can install those objects only where their CRDs
# exist (docs/bundle.md, "OpenShift console").
OPENSHIFT_API_VERSION ?= v0.0.0-20260204104751-e09e5a4ebcd0
CONSOLE_CRDS ?= $(LOCALBIN)/console-crds-$(OPENSHIFT_API_VERSION)

.PHONY: console-crds
console-crds: $(CONSOLE_CRDS) ## Copy the ConsoleYAMLSample and ConsoleQuickStart CRDs of openshift/api into CONSOLE_CRDS.
$(CONSOLE_CRDS): | $(LOCALBIN)
	@set -e; \
	tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	src="$$(cd "$$tmp" && go mod download -json github.com/openshift/api@$(OPENSHIFT_API_VERSION) | \
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p')"; \
	mkdir -p "$@.tmp"; \
	cp "$$src"/console/v1/zz_generated.crd-manifests/00_consoleyamlsamples.crd.yaml \
		"$$src"/console/v1/zz_generated.crd-manifests/00_consolequickstarts.crd.yaml "$@.tmp"/; \
	chmod -R u+w "$@.tmp"; rm -rf "$@"; mv "$@.tmp" "$@"; \
	echo "console CRDs of openshift/api $(OPENSHIFT_API_VERSION) in $@"

# go-install-tool builds package $(2) at version $(3) with `go install` and moves it to $(1),
# the versioned name; a symlink without the version points to it.
# $1 - target path with version, $2 - package, $3 - version
define go-install-tool
@set -e; \
tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
echo "Building $(2)@$(3)"; \
GOBIN="$$tmp" go install $(2)@$(3); \
mv "$$tmp"/* $(1); \
ln -sf $(notdir $(1)) $(patsubst %-$(3),%,$(1))
endef
