#!/usr/bin/env bash
# Build every image the tests and the demo use, from Debian packages and files in
# this repository only: no registry is reachable, so nothing is ever pulled.
#
# Each image carries the label `org.envctl.images.inputs-sha256`, the sha256 of
# everything it is made from (this script, its build context, the busybox binary
# and its parent's hash). An image whose label already matches is skipped, so a
# second run takes about a second. See docs/images.md.
#
# Usage: images/build.sh [--force]
#   --force     rebuild every image even when its label matches
# Environment:
#   ENVCTL_IMAGES_CACHE   where a downloaded busybox-static .deb is unpacked
#                         (default: <repo>/target/images-cache)
set -euo pipefail

images_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_dir="$(dirname "$images_dir")"
cache_dir="${ENVCTL_IMAGES_CACHE:-$repo_dir/target/images-cache}"
label_key="org.envctl.images.inputs-sha256"
force=false

for argument in "$@"; do
    case "$argument" in
        --force) force=true ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "images/build.sh: unknown argument \`$argument\`" >&2
            exit 2
            ;;
    esac
done

log() { echo "images: $*" >&2; }
die() {
    echo "images: error: $*" >&2
    exit 1
}

# The legacy builder resolves `FROM envctl-test/...` against local images only and
# needs no buildx plugin; BuildKit may try to reach a registry for metadata.
export DOCKER_BUILDKIT=0

docker info >/dev/null 2>&1 || die "no Docker Engine answers (\`docker info\` failed); start one or set DOCKER_HOST"

# sha256 of a file's contents, hex only.
file_sha() { sha256sum "$1" | cut -d' ' -f1; }

# sha256 over a directory tree: relative path, mode and contents of every file,
# and the target of every symlink, in a stable order.
tree_sha() {
    local dir="$1"
    (
        cd "$dir"
        find . \( -type f -o -type l \) -print0 | LC_ALL=C sort -z |
            while IFS= read -r -d '' path; do
                if [[ -L "$path" ]]; then
                    printf 'link %s -> %s\n' "$path" "$(readlink "$path")"
                else
                    printf 'file %s %s %s\n' "$path" "$(stat -c %a "$path")" "$(file_sha "$path")"
                fi
            done
    ) | sha256sum | cut -d' ' -f1
}

# Print the sha256 of several strings joined by newlines.
combine_sha() { printf '%s\n' "$@" | sha256sum | cut -d' ' -f1; }

image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }

# After a rebuild, remove the image the tag used to point at if nothing else
# names it, so repeated edits do not pile up dangling images.
remove_replaced() {
    local image="$1" previous_id="$2"
    [[ -n "$previous_id" && "$previous_id" != "$(image_id "$image")" ]] || return 0
    if [[ "$(docker image inspect --format '{{len .RepoTags}}' "$previous_id" 2>/dev/null)" == 0 ]]; then
        docker image rm "$previous_id" >/dev/null 2>&1 || true
    fi
}

image_label() {
    docker image inspect --format "{{ index .Config.Labels \"$label_key\" }}" "$1" 2>/dev/null || true
}

# Return 0 when image $1 exists with inputs hash $2 (and --force was not given).
up_to_date() {
    local image="$1" hash="$2"
    [[ "$force" == false && "$(image_label "$image")" == "$hash" ]]
}

# A freshly built image must stop on SIGTERM at once: the engine waits 10 s before
# it kills a container that ignores TERM, which would slow every test's `down`.
check_stops_promptly() {
    local image="$1" container started stopped elapsed_ms
    container="$(docker run --detach --label org.envctl.images.check=stop "$image")"
    started="$(date +%s%N)"
    docker stop --time 5 "$container" >/dev/null
    stopped="$(date +%s%N)"
    docker rm --force --volumes "$container" >/dev/null
    elapsed_ms=$(((stopped - started) / 1000000))
    [[ "$elapsed_ms" -lt 2000 ]] ||
        die "$image took ${elapsed_ms} ms to stop: its default command must exit on TERM"
    log "$image stops on TERM in ${elapsed_ms} ms"
}

# Path of a statically linked busybox: the one from the installed busybox-static
# package, else one unpacked from `apt-get download busybox-static` into the cache.
busybox_binary() {
    if dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
        local installed
        installed="$(dpkg-query -L busybox-static | grep -E '/bin/busybox$' | head -n1)"
        if [[ -x "$installed" ]]; then
            echo "$installed"
            return
        fi
    fi
    local unpacked="$cache_dir/busybox-static/bin/busybox"
    if [[ ! -x "$unpacked" ]]; then
        command -v apt-get >/dev/null || die "busybox-static is not installed and apt-get is missing: install busybox-static"
        log "downloading busybox-static with apt-get download"
        mkdir -p "$cache_dir"
        (
            cd "$cache_dir"
            rm -f busybox-static_*.deb
            if ! apt-get download busybox-static >/dev/null 2>&1; then
                log "apt-get download failed; running apt-get update once and retrying"
                apt-get update >/dev/null
                apt-get download busybox-static >/dev/null
            fi
            rm -rf busybox-static
            dpkg-deb -x busybox-static_*.deb busybox-static
        ) || die "could not download busybox-static (apt-get download busybox-static)"
    fi
    echo "$unpacked"
}

# envctl-test/busybox:latest, imported from a root file system made of the static
# busybox, one symlink per applet, /etc/passwd and /etc/group, and /tmp.
#
# PID 1 ignores SIGTERM unless it installs a handler, and the engine waits 10 s
# before it kills a container that ignores SIGTERM: the default command traps TERM
# and INT and exits at once, so `docker stop` takes well under a second.
busybox_cmd='["sh","-c","trap '"'"'exit 0'"'"' TERM INT; sleep 2147483647 & wait"]'
busybox_path='/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

build_busybox() {
    local image="envctl-test/busybox:latest"
    local binary hash
    binary="$(busybox_binary)"
    hash="$(combine_sha "$(file_sha "${BASH_SOURCE[0]}")" "$(file_sha "$binary")" "$(tree_sha "$images_dir/busybox")")"
    if up_to_date "$image" "$hash"; then
        log "$image is up to date"
        echo "$hash"
        return
    fi
    log "building $image (docker import)"
    local previous_id
    previous_id="$(image_id "$image")"
    local rootfs
    rootfs="$(mktemp -d)"
    mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,var/tmp,proc,sys,dev}
    chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
    chmod 700 "$rootfs/root"
    install -m 0755 "$binary" "$rootfs/bin/busybox"
    local applet
    while IFS= read -r applet; do
        [[ "$applet" == bin/busybox || -e "$rootfs/$applet" ]] && continue
        mkdir -p "$rootfs/$(dirname "$applet")"
        ln -s /bin/busybox "$rootfs/$applet"
    done < <("$binary" --list-full)
    cp -a "$images_dir/busybox/." "$rootfs/"
    chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group"
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$rootfs" -cf - . |
        docker import \
            --change "CMD $busybox_cmd" \
            --change "ENV PATH=$busybox_path" \
            --change "LABEL $label_key=$hash" \
            --message "envctl-test/busybox from $(basename "$binary") sha256:$(file_sha "$binary")" \
            - "$image" >/dev/null
    rm -rf "$rootfs"
    remove_replaced "$image" "$previous_id"
    check_stops_promptly "$image"
    echo "$hash"
}

# An image built with `docker build` from a directory under images/, FROM a parent
# built earlier in this script. Its hash covers the parent's hash and the context.
build_derived() {
    local image="$1" context="$2" parent_hash="$3"
    local hash
    hash="$(combine_sha "$(file_sha "${BASH_SOURCE[0]}")" "$parent_hash" "$(tree_sha "$context")")"
    if up_to_date "$image" "$hash"; then
        log "$image is up to date"
        echo "$hash"
        return
    fi
    log "building $image (docker build ${context#"$repo_dir/"})"
    local output previous_id
    previous_id="$(image_id "$image")"
    if ! output="$(docker build --quiet --label "$label_key=$hash" --tag "$image" "$context" 2>&1)"; then
        echo "$output" >&2
        die "docker build of $image failed"
    fi
    remove_replaced "$image" "$previous_id"
    check_stops_promptly "$image"
    echo "$hash"
}

busybox_hash="$(build_busybox)"
build_derived envctl-test/busybox-volume:latest "$images_dir/busybox-volume" "$busybox_hash" >/dev/null
build_derived envctl-test/busybox-sh:latest "$images_dir/busybox-sh" "$busybox_hash" >/dev/null
for demo_context in "$images_dir"/demo/*/; do
    demo_context="${demo_context%/}"
    [[ -f "$demo_context/Dockerfile" ]] || continue
    build_derived "envctl-demo/$(basename "$demo_context"):latest" "$demo_context" "$busybox_hash" >/dev/null
done

log "images ready:"
docker image ls --filter "label=$label_key" --filter dangling=false --format '{{.Repository}}:{{.Tag}}  {{.ID}}  {{.Size}}' >&2
