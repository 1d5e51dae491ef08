#!/usr/bin/env bash
# Usage: hack/build-kubestellar.sh
#
# Builds KubeStellar's controller-manager (KUBESTELLAR_VERSION, hack/env.sh) from the Go module
# proxy, caches it under $SINGLETON_CACHE/kubestellar, and prints the binary's path. The
# reported-state tests and benchmark run it as a local process: its binding controller makes
# Bindings from BindingPolicies, and its status controller is the baseline this operator is
# measured against and takes over from.
#
# `go install module/cmd/controller-manager@version` refuses this module (its go.mod has replace
# directives), so the module's source is copied and built as the main module, replaces and all.
# It finds the WDS and ITS as KubeStellar does in a real install: KubeFlex ControlPlane objects
# (label kflex.kubestellar.io/cptype=wds|its) in the cluster its KUBECONFIG names, whose
# status.secretRef names the Secret holding each space's kubeconfig.
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=hack/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
need_commands jq

out="${SINGLETON_CACHE}/kubestellar/controller-manager-${KUBESTELLAR_VERSION}"
build_module_command github.com/kubestellar/kubestellar "${KUBESTELLAR_VERSION}" ./cmd/controller-manager "${out}"
echo "${out}"
