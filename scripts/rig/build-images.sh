#!/usr/bin/env bash
# Build the dev-stack images locally (no public registry is needed or used).
#
#   build-images.sh base [--force]      busybox:1.36 (+ homelab-dev/busybox:latest) from Debian's
#                                       busybox-static; skipped when the image already exists
#   build-images.sh app [TAG] [VERSION] build localhost:5000/homelab-dev/app:TAG (default stable)
#                                       on top of the base image with a small layer holding
#                                       VERSION (default TAG), and push it to the rig registry.
#                                       The local tag is left as it was (see build_app).
#
# Pushing `app` again with another VERSION gives the tag a new digest: that is how tests can make
# "an update is available" happen for real, e.g. `build-images.sh app stable v2`.
# Needs a running engine (and, for `app`, the rig registry): run scripts/rig.sh first.
set -euo pipefail
# shellcheck source=scripts/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Find a statically linked busybox: the one from Debian's busybox-static (installed on demand),
# or $BUSYBOX_BIN. A dynamic one would not run in an image without libc.
find_busybox() {
    if [[ -n "${BUSYBOX_BIN:-}" ]]; then
        printf '%s\n' "${BUSYBOX_BIN}"
        return
    fi
    if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
        apt_install busybox-static
    fi
    dpkg-query -L busybox-static | grep -m1 -E '/bin/busybox$'
}

# The builders run in subshells ( ... ) so their EXIT traps clean up temp dirs on any failure.
build_base() (
    local force="${1:-}"
    if [[ "${force}" != --force ]] && docker image inspect "${RIG_BASE_IMAGE}" >/dev/null 2>&1; then
        docker image inspect "${RIG_BASE_ALIAS}" >/dev/null 2>&1 || docker tag "${RIG_BASE_IMAGE}" "${RIG_BASE_ALIAS}"
        log "image ${RIG_BASE_IMAGE} present"
        return
    fi
    local busybox root version
    busybox="$(find_busybox)"
    [[ -x "${busybox}" ]] || die "no busybox binary at '${busybox}'"
    root="$(mktemp -d)"
    # shellcheck disable=SC2064  # expand now
    trap "rm -rf '${root}'" EXIT
    mkdir -p "${root}"/{bin,etc,root,tmp,proc,sys,dev,home,var/tmp,usr/bin}
    chmod 1777 "${root}/tmp" "${root}/var/tmp"
    cp "${busybox}" "${root}/bin/busybox"
    # Every applet, like the real busybox image: shells, httpd, wget, nc, ps, kill, ...
    local applet
    for applet in $("${root}/bin/busybox" --list); do
        [[ "${applet}" == busybox ]] || ln -s busybox "${root}/bin/${applet}"
    done
    ln -s ../../bin/env "${root}/usr/bin/env" # for `#!/usr/bin/env sh` scripts
    printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/home:/bin/false' >"${root}/etc/passwd"
    printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"${root}/etc/group"
    version="$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || echo unknown)"
    log "building ${RIG_BASE_IMAGE} from ${busybox} (busybox-static ${version})"
    # Fixed owner/order/mtime: the layer digest is the same on every machine with the same binary.
    tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -C "${root}" -c . \
        | docker import \
            -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            -c 'CMD ["sh"]' \
            -m "homelab rig: Debian busybox-static ${version}" \
            - "${RIG_BASE_IMAGE}" >/dev/null
    docker tag "${RIG_BASE_IMAGE}" "${RIG_BASE_ALIAS}"
)

build_app() (
    local tag="${1:-stable}" version="${2:-${1:-stable}}"
    local image="${RIG_APP_REPO}:${tag}" ctx cid
    docker image inspect "${RIG_BASE_IMAGE}" >/dev/null 2>&1 || build_base
    ctx="$(mktemp -d)"
    cid=""
    # shellcheck disable=SC2064  # ctx expands now, cid when the trap runs
    trap "rm -rf '${ctx}'; [[ -z \"\${cid}\" ]] || docker rm -f \"\${cid}\" >/dev/null 2>&1 || true" EXIT
    mkdir -p "${ctx}/app/www"
    printf '%s\n' "${version}" >"${ctx}/app/VERSION"
    printf '<!doctype html><title>homelab-dev app</title><h1>homelab-dev app %s</h1>\n' "${version}" >"${ctx}/app/www/index.html"
    # What the tag points at locally before we build: restored after the push (see below).
    local previous new
    previous="$(docker image inspect -f '{{.Id}}' "${image}" 2>/dev/null || true)"
    log "building ${image} (version ${version})"
    # create + cp + commit instead of `docker build`: no builder (BuildKit/buildx) is needed, and
    # the result is the base layer plus one small layer of our own, like a real app image.
    cid="$(docker create "${RIG_BASE_IMAGE}")"
    tar --numeric-owner --owner=0 --group=0 -C "${ctx}" -c app | docker cp - "${cid}:/"
    docker commit \
        -c 'CMD ["httpd", "-f", "-p", "8080", "-h", "/app/www"]' \
        -c 'EXPOSE 8080' \
        -c 'WORKDIR /app' \
        -m "homelab rig: app ${version}" \
        "${cid}" "${image}" >/dev/null
    log "pushing ${image}"
    docker push -q "${image}" >/dev/null
    # Leave the engine as if someone else had pushed: the local tag keeps its previous image (or
    # is gone), so Compose really pulls from the registry and a running container's image differs
    # from the registry's digest ("update available") until it is pulled.
    new="$(docker image inspect -f '{{.Id}}' "${image}")"
    if [[ -n "${previous}" && "${previous}" != "${new}" ]]; then
        docker tag "${previous}" "${image}"
        docker image rm "${new}" >/dev/null
    elif [[ -z "${previous}" ]]; then
        docker image rm "${image}" >/dev/null
    fi
    log "pushed ${image} ($(registry_digest "${tag}"))"
)

# registry_digest TAG: the manifest digest the registry serves for homelab-dev/app:TAG.
registry_digest() {
    curl -fsSI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
        "http://${RIG_REGISTRY_ADDR}/v2/homelab-dev/app/manifests/$1" \
        | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: *//p'
}

case "${1:-}" in
    base) build_base "${2:-}" ;;
    app) build_app "${2:-stable}" "${3:-}" ;;
    *)
        sed -n '2,13s/^# \{0,1\}//p' "$0" >&2
        exit 2
        ;;
esac
