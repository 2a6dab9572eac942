#!/usr/bin/env bash
# Make the base image the production Dockerfile builds on, without pulling anything: a minimal Debian 12
# (debootstrap) with Python 3.11, venv, CA certificates, journalctl (systemd) and ping, imported with
# `docker import`. Prints the image name on stdout.
#
# Usage: bash scripts/rig/base-image.sh [--force]
#
# Cached twice: nothing happens when the image already exists, and the root file system's tarball is
# kept under the cache directory, so a wiped engine gets the image back in seconds (debootstrap takes
# about a minute and is run once per machine and package list).
#
# Environment:
#   HOMELAB_RIG_BASE_IMAGE  image name (default homelab-rig/python-base:bookworm)
#   RIG_CACHE_DIR           where the rootfs tarball is kept (default /var/cache/homelab-rig as root)
#   DEBOOTSTRAP_MIRROR      Debian mirror for debootstrap (default: debootstrap's own default)
set -euo pipefail
# shellcheck source=scripts/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMAGE="${HOMELAB_RIG_BASE_IMAGE:-homelab-rig/python-base:bookworm}"
SUITE=bookworm
PACKAGES=python3,python3-venv,ca-certificates,systemd,iputils-ping
if [[ -z "${RIG_CACHE_DIR:-}" ]]; then
    if [[ ${EUID} -eq 0 ]]; then RIG_CACHE_DIR=/var/cache/homelab-rig; else RIG_CACHE_DIR="${RIG_DIR}/cache"; fi
fi
# The tarball's name says what is in it, so a changed package list makes a new one.
KEY="$(printf '%s %s %s' "${SUITE}" "${PACKAGES}" "$(uname -m)" | sha256sum | cut -c1-12)"
TARBALL="${RIG_CACHE_DIR}/python-base-${SUITE}-${KEY}.tar"

force="${1:-}"
if [[ "${force}" != --force ]] && docker image inspect "${IMAGE}" >/dev/null 2>&1 \
    && [[ "$(docker image inspect -f '{{index .Config.Labels "org.homelab.rig.key"}}' "${IMAGE}")" == "${KEY}" ]]; then
    log "image ${IMAGE} present"
    printf '%s\n' "${IMAGE}"
    exit 0
fi

make_rootfs() (
    command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
    local root
    root="$(mktemp -d)"
    # shellcheck disable=SC2064  # expand now
    trap "rm -rf '${root}'" EXIT
    local args=(--variant=minbase "--include=${PACKAGES}" "${SUITE}" "${root}")
    [[ -z "${DEBOOTSTRAP_MIRROR:-}" ]] || args+=("${DEBOOTSTRAP_MIRROR}")
    log "debootstrap ${SUITE} with ${PACKAGES} (about a minute; log: ${RIG_DIR}/debootstrap.log)"
    local attempt
    for attempt in 1 2 3; do
        if debootstrap "${args[@]}" >>"${RIG_DIR}/debootstrap.log" 2>&1; then
            break
        fi
        ((attempt < 3)) || die "debootstrap failed 3 times; see ${RIG_DIR}/debootstrap.log"
        log "debootstrap failed (attempt ${attempt}); retrying"
        rm -rf "${root:?}"/* 2>/dev/null || true
        sleep 5
    done
    # Smaller image: package lists, caches and docs are not needed to run Python.
    rm -rf "${root}"/var/lib/apt/lists/* "${root}"/var/cache/apt/*.bin "${root}"/var/cache/apt/archives/*.deb \
        "${root}"/usr/share/doc/* "${root}"/usr/share/man/* "${root}"/usr/share/info/*
    mkdir -p "${RIG_CACHE_DIR}"
    tar --numeric-owner --sort=name -C "${root}" -cf "${TARBALL}.tmp" .
    mv -f "${TARBALL}.tmp" "${TARBALL}"
)

mkdir -p "${RIG_DIR}"
if [[ "${force}" == --force || ! -s "${TARBALL}" ]]; then
    make_rootfs
else
    log "reusing ${TARBALL}"
fi
log "importing ${TARBALL} as ${IMAGE}"
docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV LANG=C.UTF-8' \
    -c "LABEL org.homelab.rig.key=${KEY}" \
    -c 'CMD ["python3"]' \
    -m "homelab rig: debootstrap ${SUITE} minbase + ${PACKAGES}" \
    "${TARBALL}" "${IMAGE}" >/dev/null
printf '%s\n' "${IMAGE}"
