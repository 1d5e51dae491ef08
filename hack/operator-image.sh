#!/usr/bin/env bash
# Builds the operator's binary and its image tarball ($SINGLETON_CACHE/images/operator.tar),
# and prints the image reference. The image also holds the pod gate at /gate (cmd/gate). The tag
# is the binaries' digest, so a Deployment changes exactly when one of them does.
# IMAGE_TAG names another tag (the OLM test uses the CSV's, v<version>), IMAGE_OUT another
# tarball; VERSION is what the manager prints with -version.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=hack/env.sh
source hack/env.sh

repo=${IMAGE_REPO:-localhost/singleton-operator}
mkdir -p bin "$SINGLETON_CACHE/images"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION:-dev}" -o bin/manager ./cmd
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o bin/gate ./cmd/gate
tag=${IMAGE_TAG:-$(cat bin/manager bin/gate | sha256sum | cut -c1-12)}
go run ./hack/imagetool build --tag "$repo:$tag" --out "${IMAGE_OUT:-$SINGLETON_CACHE/images/operator.tar}" \
	--add bin/manager:/manager --add bin/gate:/gate --entrypoint /manager --user 65532:65532 >&2
echo "$repo:$tag"
