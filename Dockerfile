# The manager image: a static binary on distroless, running as an unprivileged user.
# Needs a container engine and the network (`make docker-build`); without them,
# `make image` builds an equivalent image tarball.
FROM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev

WORKDIR /workspace
# Modules first, so that their layer is cached while only the sources change.
COPY go.mod go.mod
COPY go.sum go.sum
RUN go mod download

COPY api/ api/
COPY internal/ internal/
COPY cmd/ cmd/

# No cgo: the binary runs on an image without a C library. GOARCH follows the platform
# being built, so `docker buildx build --platform=...` makes each one natively or by
# cross-compiling.
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o manager ./cmd && \
    CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o gate ./cmd/gate

FROM gcr.io/distroless/static:nonroot
WORKDIR /
COPY --from=builder /workspace/manager .
# The pod gate (cmd/gate), which the webhook's init container copies into selected pods.
COPY --from=builder /workspace/gate .
USER 65532:65532

ENTRYPOINT ["/manager"]
