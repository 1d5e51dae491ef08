#!/usr/bin/env bash
# The repository's file-based catalog (catalog/): every released bundle of singleton-operator,
# with its objects embedded (as `opm render <bundle dir>` writes them), so that OLM installs it
# from `opm serve` with no bundle image and no registry.
#
#   hack/catalog.sh release      add bundle/ to catalog/ as a new release, recording the commit
#                                it was cut from (HEAD; the working tree must be clean)
#   hack/catalog.sh preview DIR  write into DIR the catalog plus bundle/ as the next release (what
#                                the upgrade test serves); prints, one per line: the previous
#                                release's bundle name, its image and commit, then the current
#                                bundle's name and image
#   hack/catalog.sh validate     opm validate catalog/
#
# Layout: catalog/singleton-operator/package.yaml (olm.package), channels.yaml (olm.channel,
# generated), v<version>.yaml (one olm.bundle per release), and catalog/releases.yaml (what each
# release was cut from; not part of the catalog, see catalog/.indexignore). Each channel lists the
# releases whose bundle names it (bundle/metadata/annotations.yaml), oldest first; each entry
# replaces the one before it in that channel, and carries the CSV's olm.skipRange, if any.
#
# Environment: OPM (default bin/opm), CATALOG_DIR (default catalog), BUNDLE_DIR (default bundle).
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$(dirname "${BASH_SOURCE[0]}")/.."

OPM=${OPM:-bin/opm}
CATALOG_DIR=${CATALOG_DIR:-catalog}
BUNDLE_DIR=${BUNDLE_DIR:-bundle}
PACKAGE=singleton-operator
DEFAULT_CHANNEL=stable

# csv_file prints the path of the bundle's ClusterServiceVersion.
csv_file() {
	local f
	for f in "$BUNDLE_DIR"/manifests/*.clusterserviceversion.yaml; do
		[[ -f $f ]] && echo "$f" && return
	done
	die "no ClusterServiceVersion in $BUNDLE_DIR/manifests: run make bundle"
}

# csv_field <regexp> prints the value of the first line of the CSV matching "<regexp>: value",
# unquoted.
csv_field() {
	sed -n "s/^$1: *//p" "$(csv_file)" | head -n1 | sed "s/^['\"]\\(.*\\)['\"]\$/\\1/"
}

# render <out>: the bundle as one olm.bundle, objects embedded. Prints the bundle's name.
render() {
	"$OPM" render "$BUNDLE_DIR" --output yaml >"$1.tmp"
	mv "$1.tmp" "$1"
	sed -n 's/^name: //p' "$1" | head -n1
}

# release_record <version> <commit>: a releases.yaml item for bundle/.
release_record() {
	local channels skip_range image replaces
	channels=$(sed -n 's/^ *operators.operatorframework.io.bundle.channels.v1: *//p' "$BUNDLE_DIR/metadata/annotations.yaml")
	[[ -n $channels ]] || die "$BUNDLE_DIR/metadata/annotations.yaml names no channel"
	skip_range=$(csv_field '    olm.skipRange')
	replaces=$(csv_field '  replaces')
	# The first image of the CSV is the manager's, in its install strategy's Deployment.
	image=$(sed -n 's/^ *image: *//p' "$(csv_file)" | head -n1)
	[[ -n $image ]] || die "the CSV names no image"
	printf -- '- version: %s\n  bundle: %s.v%s\n  commit: %s\n  image: %s\n  channels: %s\n' \
		"$1" "$PACKAGE" "$1" "$2" "$image" "$channels"
	if [[ -n $skip_range ]]; then printf '  skipRange: "%s"\n' "$skip_range"; fi
	if [[ -n $replaces ]]; then printf '  replaces: %s\n' "$replaces"; fi
}

# field <releases file> <name>: the values of one field of every release, oldest first.
field() {
	awk -v k="$2" '
		/^- / { if (n) print v; n++; v="" }
		{ line=$0; sub(/^[- ] /, "", line) }
		index(line, k ": ") == 1 { v=substr(line, length(k) + 3); gsub(/^"|"$/, "", v) }
		END { if (n) print v }' "$1"
}

# channels <releases file>: the olm.channel objects of every channel any release names.
channels() {
	local releases=$1 ch i prev
	local -a bundles chans skips replaces all
	mapfile -t bundles < <(field "$releases" bundle)
	mapfile -t chans < <(field "$releases" channels)
	mapfile -t skips < <(field "$releases" skipRange)
	mapfile -t replaces < <(field "$releases" replaces)
	mapfile -t all < <(printf '%s\n' "${chans[@]}" | tr ',' '\n' | awk 'NF && !seen[$0]++')
	for ch in "${all[@]}"; do
		printf -- '---\nschema: olm.channel\npackage: %s\nname: %s\nentries:\n' "$PACKAGE" "$ch"
		prev=""
		for i in "${!bundles[@]}"; do
			[[ ",${chans[$i]}," == *",$ch,"* ]] || continue
			# The graph is the channel's; a CSV that says otherwise is a mistake.
			if [[ -n ${replaces[$i]} && ${replaces[$i]} != "$prev" ]]; then
				die "${bundles[$i]} says it replaces ${replaces[$i]}, but the one before it in channel $ch is ${prev:-none}"
			fi
			printf -- '- name: %s\n' "${bundles[$i]}"
			if [[ -n $prev ]]; then printf '  replaces: %s\n' "$prev"; fi
			if [[ -n ${skips[$i]} ]]; then printf "  skipRange: '%s'\n" "${skips[$i]}"; fi
			prev=${bundles[$i]}
		done
	done
}

# write_catalog <dir> <releases file>: package.yaml and channels.yaml of <dir>.
write_catalog() {
	mkdir -p "$1/$PACKAGE"
	"$OPM" init "$PACKAGE" --default-channel="$DEFAULT_CHANNEL" --output=yaml >"$1/$PACKAGE/package.yaml"
	channels "$2" >"$1/$PACKAGE/channels.yaml"
	"$OPM" validate "$1"
}

# bundle_version prints the version of bundle/'s CSV.
bundle_version() {
	local v
	v=$(csv_field '  version')
	[[ -n $v ]] || die "the CSV has no spec.version"
	echo "$v"
}

cmd_release() {
	local version commit releases="$CATALOG_DIR/releases.yaml"
	[[ -z $(git status --porcelain) ]] ||
		die "the working tree is not clean: commit first, so that the release names the commit it was cut from"
	version=$(bundle_version)
	if [[ -f $releases ]] && field "$releases" version | grep -qxF "$version"; then
		die "$version is released already: bump VERSION (and PREVIOUS_VERSION) in the Makefile, then make bundle"
	fi
	commit=$(git rev-parse HEAD)
	mkdir -p "$CATALOG_DIR/$PACKAGE"
	if [[ ! -f $releases ]]; then
		printf '%s\n' "# Every release in the catalog, oldest first, and the commit it was cut from (its" \
			"# operator image is built from that commit). Written by \`make release\` (hack/catalog.sh)." \
			"releases:" >"$releases"
	fi
	release_record "$version" "$commit" >>"$releases"
	printf '%s\n' releases.yaml >"$CATALOG_DIR/.indexignore"
	name=$(render "$CATALOG_DIR/$PACKAGE/v$version.yaml")
	[[ $name == "$PACKAGE.v$version" ]] || die "the bundle is named $name, not $PACKAGE.v$version"
	write_catalog "$CATALOG_DIR" "$releases"
	log "released $name from $commit; commit $CATALOG_DIR/, then bump VERSION"
}

cmd_preview() {
	local dir=$1 version name releases
	[[ -f $CATALOG_DIR/releases.yaml ]] || die "$CATALOG_DIR/releases.yaml is missing: no release to upgrade from"
	version=$(bundle_version)
	if field "$CATALOG_DIR/releases.yaml" version | grep -qxF "$version"; then
		die "bundle/ is $version, which is released already: bump VERSION and PREVIOUS_VERSION, then make bundle"
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -R "$CATALOG_DIR/." "$dir/"
	releases="$dir/releases.yaml"
	release_record "$version" "working-tree" >>"$releases"
	name=$(render "$dir/$PACKAGE/v$version.yaml")
	write_catalog "$dir" "$releases" >&2
	# previous: bundle, image, commit; current: bundle, image.
	field "$releases" bundle | tail -n2 | head -n1
	field "$releases" image | tail -n2 | head -n1
	field "$releases" commit | tail -n2 | head -n1
	echo "$name"
	field "$releases" image | tail -n1
}

case "${1:-}" in
release) cmd_release ;;
preview)
	want_args 2 "preview DIR" "$@"
	cmd_preview "$2"
	;;
validate) "$OPM" validate "$CATALOG_DIR" ;;
*) usage_error ;;
esac
