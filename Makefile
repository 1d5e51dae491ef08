# singleton-operator: build, test, deploy and bundle, in the layout of the operator-sdk go/v4
# scaffold. `make help` lists the targets.

# VERSION is the operator's semantic version; it names the bundle, the CSV and the images.
VERSION ?= 0.1.0

# OLM channels of the bundle.
CHANNELS ?= stable,candidate
DEFAULT_CHANNEL ?= stable
BUNDLE_CHANNELS := --channels=$(CHANNELS)
BUNDLE_DEFAULT_CHANNEL := --default-channel=$(DEFAULT_CHANNEL)
BUNDLE_METADATA_OPTS ?= $(BUNDLE_CHANNELS) $(BUNDLE_DEFAULT_CHANNEL)

# IMAGE_TAG_BASE is the repository part of every image this project makes: the manager
# (IMG), the bundle (BUNDLE_IMG) and the catalog (CATALOG_IMG).
IMAGE_TAG_BASE ?= localhost/singleton-operator
IMG ?= $(IMAGE_TAG_BASE):dev
BUNDLE_IMG ?= $(IMAGE_TAG_BASE)-bundle:v$(VERSION)
CATALOG_IMG ?= $(IMAGE_TAG_BASE)-catalog:v$(VERSION)
# Bundle images a catalog is built from (comma separated).
BUNDLE_IMGS ?= $(BUNDLE_IMG)

# The image tarball `make image` writes (no container engine needed).
IMAGE_TAR ?= bin/singleton-operator-image.tar

# Flags of `operator-sdk generate bundle`.
BUNDLE_GEN_FLAGS ?= -q --overwrite --version $(VERSION) $(BUNDLE_METADATA_OPTS)
# USE_IMAGE_DIGESTS=true pins the images of the CSV by digest (needs a registry).
USE_IMAGE_DIGESTS ?= false
ifeq ($(USE_IMAGE_DIGESTS), true)
	BUNDLE_GEN_FLAGS += --use-image-digests
endif

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

# The version main.go prints (-version) and logs at start.
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
lint: golangci-lint ## Run golangci-lint.
	$(GOLANGCI_LINT) run

.PHONY: lint-fix
lint-fix: golangci-lint ## Run golangci-lint and apply its fixes.
	$(GOLANGCI_LINT) run --fix

.PHONY: lint-config
lint-config: golangci-lint ## Check .golangci.yml against the golangci-lint schema.
	$(GOLANGCI_LINT) config verify

##@ Test

.PHONY: test
test: test-unit test-integration test-e2e ## Run every test: unit, then integration, then end-to-end.

.PHONY: test-unit
test-unit: manifests generate vet ## Run the unit tests (every package outside test/), with coverage in cover.out.
	go test $(TEST_UNIT_FLAGS) $(UNIT_PACKAGES) -coverprofile cover.out

# hack/build-kube.sh builds (or finds in its cache) the kube-apiserver, etcd and kubectl that
# envtest starts, and prints their directory as its last line of stdout.
.PHONY: test-integration
test-integration: manifests generate ## Run the integration tests (test/integration) against a real kube-apiserver and etcd.
	assets="$$(hack/build-kube.sh | tail -n 1)"; \
	KUBEBUILDER_ASSETS="$$assets" go test ./test/integration/... -v

.PHONY: test-e2e
test-e2e: manifests generate kustomize ## Run the end-to-end tests (hack/test-e2e.sh) on the local cluster.
	KUSTOMIZE="$(KUSTOMIZE)" hack/test-e2e.sh

.PHONY: bench-handover
bench-handover: manifests generate kustomize ## Measure hand-overs: N rollouts (BENCH_ROLLOUTS, 20) under a StatefulSingleton, Recreate, RollingUpdate.
	KUSTOMIZE="$(KUSTOMIZE)" E2E_LABEL_FILTER=bench E2E_TIMEOUT=60m BENCH_OUT="$(CURDIR)/bin/bench-handover.txt" \
		hack/test-e2e.sh
	@cat bin/bench-handover.txt

# BENCH_RS_FLAGS: flags of test/bench/reportedstate, for example
# BENCH_RS_FLAGS="-objects 10000 -wecs 10" for the full scale of docs/benchmarks-reportedstate.md.
BENCH_RS_FLAGS ?= -objects 1000 -wecs 10

.PHONY: bench-reportedstate
bench-reportedstate: ## Measure the reported-state reconciler: sync, lag at rising rates, writes, CPU and memory (BENCH_RS_FLAGS).
	assets="$$(hack/build-kube.sh | tail -n 1)"; \
	KUBEBUILDER_ASSETS="$$assets" go run ./test/bench/reportedstate $(BENCH_RS_FLAGS) -out bin/bench-reportedstate.txt

##@ Build

.PHONY: build
build: manifests generate vet ## Build the manager binary into bin/manager.
	go build -ldflags="$(GO_LDFLAGS)" -o bin/manager .

.PHONY: run
run: manifests generate ## Run the operator on this machine against the configured cluster, or the local one (hack/run-local.sh).
	hack/run-local.sh

# `image` needs no container engine: hack/imagetool writes an OCI image tarball holding the
# static manager and gate binaries, which the local cluster imports.
.PHONY: image
image: manifests generate ## Build static bin/manager and bin/gate and the image tarball IMAGE_TAR tagged IMG, without a container engine.
	CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w $(GO_LDFLAGS)" -o bin/manager .
	CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o bin/gate ./cmd/gate
	go run ./hack/imagetool build --tag $(IMG) --out $(IMAGE_TAR) \
		--add bin/manager:/manager --add bin/gate:/gate --entrypoint /manager --user 65532:65532

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

# The operator-sdk flow: refresh config/manifests from PROJECT and the API markers, render
# config/manifests, turn it into bundle/ (CSV, CRD, metadata) and bundle.Dockerfile, validate.
.PHONY: bundle
bundle: manifests kustomize operator-sdk ## Generate the OLM bundle (bundle/, bundle.Dockerfile) and validate it.
	$(OPERATOR_SDK) generate kustomize manifests -q
	cd config/manager && $(KUSTOMIZE) edit set image controller=$(IMG)
	$(KUSTOMIZE) build config/manifests | $(OPERATOR_SDK) generate bundle $(BUNDLE_GEN_FLAGS)
	$(OPERATOR_SDK) bundle validate ./bundle

.PHONY: bundle-build
bundle-build: ## Build the bundle image BUNDLE_IMG with the container tool.
	$(CONTAINER_TOOL) build -f bundle.Dockerfile -t $(BUNDLE_IMG) .

.PHONY: bundle-push
bundle-push: ## Push the bundle image BUNDLE_IMG with the container tool.
	$(CONTAINER_TOOL) push $(BUNDLE_IMG)

# The bundles a catalog holds, oldest first: bundle directories (rendered offline, their image
# named by BUNDLE_IMAGE_TEMPLATE) or bundle images (pulled by opm). Each replaces the one before
# it in every channel of CHANNELS.
CATALOG_BUNDLES ?= bundle
BUNDLE_IMAGE_TEMPLATE ?= $(IMAGE_TAG_BASE)-bundle:v{{.Version}}

# `catalog` needs no container engine and no registry when CATALOG_BUNDLES are directories.
.PHONY: catalog
catalog: opm ## Write the file-based catalog of CATALOG_BUNDLES into catalog/ and validate it.
	rm -rf catalog && mkdir -p catalog/singleton-operator
	$(OPM) init singleton-operator --default-channel=$(DEFAULT_CHANNEL) --output=yaml \
		> catalog/singleton-operator/index.yaml
	$(OPM) render $(CATALOG_BUNDLES) --alpha-image-ref-template='$(BUNDLE_IMAGE_TEMPLATE)' --output=yaml \
		> catalog/singleton-operator/bundles.yaml
	names="$$(sed -n 's/^name: //p' catalog/singleton-operator/bundles.yaml)"; \
	for ch in $(subst $(comma), ,$(CHANNELS)); do \
		printf -- '---\nschema: olm.channel\npackage: singleton-operator\nname: %s\nentries:\n' "$$ch"; \
		prev=""; \
		for n in $$names; do \
			printf -- '- name: %s\n' "$$n"; \
			if [[ -n "$$prev" ]]; then printf -- '  replaces: %s\n' "$$prev"; fi; \
			prev="$$n"; \
		done; \
	done > catalog/singleton-operator/channels.yaml
	$(OPM) validate catalog

# catalog-build turns catalog/ into the catalog image CATALOG_IMG (opm's serving image on top).
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
