#!/usr/bin/env bash
# Builds one of the project's images with hack/imagetool (no container engine) and prints its
# reference:
#
#   hack/operator-image.sh [manager]      the operator: /manager (cmd) and the pod gate /gate
#                                         (cmd/gate); default tarball $SINGLETON_CACHE/images/operator.tar
#   hack/operator-image.sh scorecard-tests  the custom scorecard tests: /scorecard-tests
#                                         (cmd/scorecard-tests); default tarball
#                                         $SINGLETON_CACHE/images/scorecard-tests.tar
#
# The tag is the binaries' digest, so a Deployment changes exactly when one of them does.
# IMAGE_TAG names another tag (a release's, v<version>), IMAGE_REPO another repository,
# IMAGE_OUT another tarball; VERSION is what the manager prints with -version.
#
# RELEASE=1 builds a release image: the binaries record no VCS information (-buildvcs=false), so
# the image depends only on the sources, the Go toolchain and the variables above, never on the
# commit or on a dirty working tree, and building the same sources twice gives the same image
# digest (`make bundle` names the images by that digest). It prints repository@sha256:<digest>
# instead of the tag; the tarball names the image both ways.
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=hack/env.sh
source hack/env.sh

what=${1:-manager}
flags=(-trimpath)
if [[ ${RELEASE:-} == 1 ]]; then flags+=(-buildvcs=false); fi
mkdir -p bin "$SINGLETON_CACHE/images"
case $what in
manager)
	repo=${IMAGE_REPO:-localhost/singleton-operator}
	out=${IMAGE_OUT:-$SINGLETON_CACHE/images/operator.tar}
	CGO_ENABLED=0 GOOS=linux go build "${flags[@]}" -ldflags "-s -w -X main.version=${VERSION:-dev}" -o bin/manager ./cmd
	CGO_ENABLED=0 GOOS=linux go build "${flags[@]}" -ldflags "-s -w" -o bin/gate ./cmd/gate
	bins=(bin/manager bin/gate)
	args=(--add bin/manager:/manager --add bin/gate:/gate --entrypoint /manager)
	;;
scorecard-tests)
	repo=${IMAGE_REPO:-localhost/singleton-operator-scorecard-tests}
	out=${IMAGE_OUT:-$SINGLETON_CACHE/images/scorecard-tests.tar}
	CGO_ENABLED=0 GOOS=linux go build "${flags[@]}" -ldflags "-s -w" -o bin/scorecard-tests ./cmd/scorecard-tests
	bins=(bin/scorecard-tests)
	args=(--add bin/scorecard-tests:/scorecard-tests --entrypoint /scorecard-tests)
	;;
*) die "unknown image $what: want manager or scorecard-tests" ;;
esac
tag=${IMAGE_TAG:-$(cat "${bins[@]}" | sha256sum | cut -c1-12)}
# imagetool prints: <tarball> <tag> digest=<manifest digest> id=<config digest> ref=<repo@digest>
built=$(go run ./hack/imagetool build --tag "$repo:$tag" --out "$out" "${args[@]}" --user 65532:65532)
echo "$built" >&2
if [[ ${RELEASE:-} == 1 ]]; then
	sed -n 's/.* ref=\([^ ]*\).*/\1/p' <<<"$built"
else
	echo "$repo:$tag"
fi
