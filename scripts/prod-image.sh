#!/usr/bin/env bash
# Build the production image (Dockerfile) with the classic builder: `docker build` needs neither BuildKit
# nor buildx. Prints the image name on stdout.
#
# Usage: bash scripts/prod-image.sh [--rig] [--wheelhouse]
#   --wheelhouse  first build build/wheels on this machine (the locked runtime dependencies as wheels,
#                 from .venv's pip), so the build itself needs no package index. Kept up to date
#                 automatically once it exists; `rm -rf build/wheels` goes back to index installs.
#   --rig         what the test rig does where nothing can be pulled: --wheelhouse, and the base image
#                 made by scripts/rig/base-image.sh (unless HOMELAB_BASE_IMAGE is set)
#
# Environment:
#   HOMELAB_IMAGE          the image to build (default homelab-control-plane:local)
#   HOMELAB_BASE_IMAGE     the BASE_IMAGE build argument (default: the Dockerfile's, python:3.11-slim-bookworm)
#   HOMELAB_WHEELHOUSE=1   same as --wheelhouse
#   HOMELAB_IMAGE_VERSION  the image's version label (default `git describe --always --dirty`)
set -euo pipefail
# shellcheck source=scripts/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/rig/lib.sh"
cd "${RIG_REPO}"
log() { printf 'prod-image: %s\n' "$*" >&2; }
die() {
    printf 'prod-image: ERROR: %s\n' "$*" >&2
    exit 1
}

IMAGE="${HOMELAB_IMAGE:-homelab-control-plane:local}"
BASE_IMAGE="${HOMELAB_BASE_IMAGE:-}"
WHEELHOUSE_DIR=build/wheels
wheelhouse="${HOMELAB_WHEELHOUSE:-0}"

while (($#)); do
    case "$1" in
        --wheelhouse) wheelhouse=1 ;;
        --rig)
            wheelhouse=1
            [[ -n "${BASE_IMAGE}" ]] || BASE_IMAGE="$(bash "${RIG_REPO}/scripts/rig/base-image.sh")"
            ;;
        -h | --help)
            sed -n '2,17s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done

# build/wheels: the runtime dependencies of pyproject.toml at the versions of requirements.lock, plus
# setuptools (the build backend of the app itself). Not the dev or native extras. Rebuilt when the lock,
# the dependency list or the Python version change (a stamp records them).
build_wheelhouse() {
    local python=.venv/bin/python want requirements
    [[ -x "${python}" ]] || bash "${RIG_REPO}/scripts/setup.sh"
    requirements="$("${python}" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))')"
    want="$({ printf '%s\n' "${requirements}"; cat requirements.lock; } | sha256sum | cut -d' ' -f1) $("${python}" -c 'import sys; print(sys.version.split()[0])')"
    if [[ -f "${WHEELHOUSE_DIR}/.stamp" && "$(<"${WHEELHOUSE_DIR}/.stamp")" == "${want}" ]]; then
        return
    fi
    log "building the wheelhouse ${WHEELHOUSE_DIR} (runtime dependencies only)"
    rm -rf "${WHEELHOUSE_DIR}.tmp"
    mkdir -p "${WHEELHOUSE_DIR}.tmp"
    printf '%s\n' "${requirements}" >"${WHEELHOUSE_DIR}.tmp/.requirements.txt"
    "${python}" -m pip wheel -q --disable-pip-version-check -w "${WHEELHOUSE_DIR}.tmp" \
        -c requirements.lock -r "${WHEELHOUSE_DIR}.tmp/.requirements.txt" 'setuptools>=68' \
        >"${LOG_DIR}/wheelhouse.log" 2>&1 || {
        tail -n 20 "${LOG_DIR}/wheelhouse.log" >&2
        die "pip wheel failed: the wheelhouse could not be built; see ${LOG_DIR}/wheelhouse.log"
    }
    printf '%s' "${want}" >"${WHEELHOUSE_DIR}.tmp/.stamp"
    rm -rf "${WHEELHOUSE_DIR}"
    mv "${WHEELHOUSE_DIR}.tmp" "${WHEELHOUSE_DIR}"
    log "wheelhouse: $(find "${WHEELHOUSE_DIR}" -name '*.whl' | wc -l) wheels"
}

LOG_DIR=build
mkdir -p "${LOG_DIR}"
if [[ "${wheelhouse}" == 1 || -d "${WHEELHOUSE_DIR}" ]]; then
    build_wheelhouse
fi

version="${HOMELAB_IMAGE_VERSION:-$(git describe --always --dirty 2>/dev/null || echo unknown)}"
args=(--tag "${IMAGE}" --label "org.opencontainers.image.version=${version}"
    --label "org.opencontainers.image.title=Homelab Control Plane")
[[ -z "${BASE_IMAGE}" ]] || args+=(--build-arg "BASE_IMAGE=${BASE_IMAGE}")
log "building ${IMAGE}${BASE_IMAGE:+ on ${BASE_IMAGE}}$([[ -d "${WHEELHOUSE_DIR}" ]] && echo ' from the wheelhouse') (log: ${LOG_DIR}/prod-image.log)"
start=${SECONDS}
if ! DOCKER_BUILDKIT=0 docker build "${args[@]}" . >"${LOG_DIR}/prod-image.log" 2>&1; then
    tail -n 30 "${LOG_DIR}/prod-image.log" >&2
    die "docker build failed; see ${LOG_DIR}/prod-image.log"
fi
log "built ${IMAGE} ($(docker image inspect -f '{{.Size}}' "${IMAGE}" | awk '{printf "%d MB", $1 / 1e6}')) in $((SECONDS - start))s"
printf '%s\n' "${IMAGE}"
