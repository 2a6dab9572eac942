#!/usr/bin/env bash
# Run the dev Compose stack (compose.dev.yml, project "homelab-dev") on the rig's engine.
#
# Usage: bash scripts/dev-stack.sh [up|down|status]      (default: up)
#   up      run scripts/rig.sh (idempotent, ~1 s when all is up), `compose up -d`, wait until
#           `web` is healthy. Not `up --wait`: that fails by design because `sick` is unhealthy
#           and `flaky` exits.
#   down    remove the stack's containers and network
#   status  `compose ps`
#
# Environment: RIG_SKIP=1 skips scripts/rig.sh; DEV_STACK_TIMEOUT (default 60) bounds the wait;
# HOMELAB_DEV_WEB_PORT (default 18080) is where `web` is published on 127.0.0.1. The rig's
# variables (DOCKER_HOST, COMPOSE_BIN, ...) pass through.
set -euo pipefail
# shellcheck source=scripts/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/rig/lib.sh"

PROJECT=homelab-dev
COMPOSE_FILE_PATH="${RIG_REPO}/compose.dev.yml"
compose() { docker compose -f "${COMPOSE_FILE_PATH}" -p "${PROJECT}" --project-directory "${RIG_REPO}" "$@"; }

web_health() {
    local cid
    cid="$(compose ps -q web 2>/dev/null)"
    [[ -n "${cid}" ]] || return 0
    docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "${cid}" 2>/dev/null || true
}
web_healthy() { [[ "$(web_health)" == healthy ]]; }

up() {
    [[ "${RIG_SKIP:-}" == 1 ]] || bash "${RIG_REPO}/scripts/rig.sh"
    local start=${SECONDS} timeout="${DEV_STACK_TIMEOUT:-60}"
    log "dev stack: compose up -d (project ${PROJECT})"
    compose up -d --remove-orphans --quiet-pull
    if ! wait_until "${timeout}" web_healthy; then
        compose ps -a >&2 || true
        die "dev stack: web is not healthy after ${timeout}s (state: $(web_health))"
    fi
    compose ps -a --format 'table {{.Service}}\t{{.Image}}\t{{.Status}}'
    log "dev stack up in $((SECONDS - start))s; web on http://127.0.0.1:${HOMELAB_DEV_WEB_PORT:-18080}/"
}

case "${1:-up}" in
    up) up ;;
    down) compose down --remove-orphans --timeout 2 ;;
    status) compose ps -a ;;
    *)
        sed -n '2,14s/^# \{0,1\}//p' "$0" >&2
        exit 2
        ;;
esac
