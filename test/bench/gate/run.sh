#!/usr/bin/env bash
# Measures the gate candidates on the local cluster (hack/cluster.sh up first):
# builds bin/gate and the stamp app, makes an image of each, imports them, and runs the
# benchmark inside the cluster's network namespace. Arguments go to the benchmark
# (for example -n 20, -candidates wrapper-inotify,none).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
# shellcheck source=hack/env.sh
source hack/env.sh

images="$SINGLETON_CACHE/images"
mkdir -p bin "$images"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o bin/gate ./cmd/gate
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o bin/gate-bench-stamp ./test/bench/gate/stamp
# Tags follow the binaries, so an import is skipped exactly when nothing changed.
gate_ref="localhost/singleton-gate:$(sha256sum bin/gate | cut -c1-12)"
app_ref="localhost/gate-bench-stamp:$(sha256sum bin/gate-bench-stamp | cut -c1-12)"
go run ./hack/imagetool build --tag "$gate_ref" --out "$images/gate-bench-gate.tar" \
	--add bin/gate:/gate --entrypoint /gate --user 65532:65532 >&2
go run ./hack/imagetool build --tag "$app_ref" --out "$images/gate-bench-stamp.tar" \
	--add bin/gate-bench-stamp:/stamp --entrypoint /stamp --cmd '["image-cmd"]' --user 65532:65532 >&2
hack/cluster.sh load-image "$images/gate-bench-gate.tar"
hack/cluster.sh load-image "$images/gate-bench-stamp.tar"
go build -o bin/gate-bench ./test/bench/gate
exec hack/cluster.sh exec -- bin/gate-bench --gate-image "$gate_ref" --app-image "$app_ref" "$@"
