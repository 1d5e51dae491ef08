# shellcheck shell=bash disable=SC2154,SC2153 # the layout's variables are set in hack/cluster/layout.sh
# The images every pod of the local cluster needs, built here since there is no registry to pull
# from (sourced by hack/cluster.sh): localhost/pause:1.0 (hack/pause) and localhost/busybox:1.35
# (Debian's static busybox, with the users of hack/cluster/busybox/), as tarballs written by
# hack/imagetool and imported into the cluster's containerd.

# build_tools: hack/imagetool and the pause binary, built from the repository (cached by Go).
build_tools() {
  mkdir -p "${TOOLS_DIR}"
  (cd "${REPO_DIR}" && go build -trimpath -o "${IMAGETOOL}" ./hack/imagetool)
  (cd "${REPO_DIR}" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w -buildid=' \
    -o "${TOOLS_DIR}/pause" ./hack/pause)
}

# inputs_fingerprint FILE...: a digest of the inputs of an image (and of this script's recipe).
inputs_fingerprint() {
  {
    echo "recipe v1 $(go env GOVERSION 2>/dev/null)"
    sha256sum "$@" "${REPO_DIR}"/hack/imagetool/*.go
  } | sha256sum | cut -d' ' -f1
}

# image_current TAR FINGERPRINT: TAR exists and was built from these inputs.
image_current() {
  [[ -f "$1" && -f "$1.inputs" && "$(cat "$1.inputs")" == "$2" ]]
}

build_images() {
  local pause_fp busybox_fp applets=() a args=()
  mkdir -p "${IMAGES_DIR}"
  pause_fp="$(inputs_fingerprint "${REPO_DIR}"/hack/pause/*.go)"
  busybox_fp="$(inputs_fingerprint /bin/busybox "${HACK_DIR}"/cluster/busybox/*)"
  if image_current "${PAUSE_TAR}" "${pause_fp}" && image_current "${BUSYBOX_TAR}" "${busybox_fp}"; then
    return 0
  fi
  [[ -x /bin/busybox ]] || die "/bin/busybox is missing (Debian package busybox-static)"
  log "building images ${PAUSE_IMAGE} and ${BUSYBOX_IMAGE} (hack/imagetool)"
  build_tools

  "${IMAGETOOL}" build --tag "${PAUSE_IMAGE}" --out "${PAUSE_TAR}" \
    --add "${TOOLS_DIR}/pause:/pause:0755" --entrypoint /pause --user 65535:65535 >&2
  echo "${pause_fp}" >"${PAUSE_TAR}.inputs"

  # Busybox: the binary, a symlink per applet in /bin, /tmp, and users for `id` and `ls -l`.
  mapfile -t applets < <(/bin/busybox --list | LC_ALL=C sort -u)
  for a in "${applets[@]}"; do
    [[ "${a}" == busybox || -z "${a}" ]] && continue
    args+=(--symlink "busybox:/bin/${a}")
  done
  "${IMAGETOOL}" build --tag "${BUSYBOX_IMAGE}" --out "${BUSYBOX_TAR}" \
    --add /bin/busybox:/bin/busybox:0755 \
    --add "${HACK_DIR}/cluster/busybox/passwd:/etc/passwd:0644" \
    --add "${HACK_DIR}/cluster/busybox/group:/etc/group:0644" \
    --dir /tmp:1777 --dir /root:0700 --dir /home/nonroot:0755 --dir /var/www:0755 \
    "${args[@]}" --cmd '["sh"]' >&2
  echo "${busybox_fp}" >"${BUSYBOX_TAR}.inputs"
}

# tarball_refs TARBALL: the image references a `docker save` tarball names (none for OCI).
tarball_refs() {
  tar -xOf "$1" manifest.json 2>/dev/null |
    grep -o '"RepoTags":\[[^]]*\]' | sed -e 's/^"RepoTags":\[//' -e 's/\]$//' | tr ',' '\n' |
    sed -n 's/^"\(.*\)"$/\1/p'
}

# The reference containerd lists for REF (Docker Hub names are normalized).
normalized_ref() {
  local ref="$1" first="${1%%/*}"
  if [[ "${ref}" != */* ]]; then
    ref="docker.io/library/${ref}"
  elif [[ "${first}" != *.* && "${first}" != *:* && "${first}" != localhost ]]; then
    ref="docker.io/${ref}"
  fi
  [[ "${ref##*/}" == *:* || "${ref}" == *@* ]] || ref="${ref}:latest"
  echo "${ref}"
}

load_image() {
  local tarball="$1" sum refs=() ref missing=0
  [[ -f "${tarball}" ]] || die "no such image tarball: ${tarball}"
  containerd_ready || die "the cluster's containerd is not running (hack/cluster.sh up)"
  sum="$(sha256sum "${tarball}" | cut -d' ' -f1)"
  mapfile -t refs < <(tarball_refs "${tarball}")
  for ref in "${refs[@]}"; do
    ref="$(normalized_ref "${ref}")"
    if [[ -z "$(ctr_k8s images ls -q "name==${ref},labels.\"${IMPORT_LABEL}\"==${sum}" 2>/dev/null)" ]]; then
      missing=1
    fi
  done
  if ((${#refs[@]} > 0 && missing == 0)); then
    log "image ${refs[*]} is already imported from ${tarball}"
    return 0
  fi
  log "importing ${tarball} into the cluster's containerd"
  ctr_k8s images import "${tarball}" >&2
  for ref in "${refs[@]}"; do
    ctr_k8s images label "$(normalized_ref "${ref}")" "${IMPORT_LABEL}=${sum}" >/dev/null
  done
}
