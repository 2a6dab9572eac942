#!/usr/bin/env bash
# Install or upgrade the Homelab Control Plane on this Docker host (compose.prod.yml). Idempotent:
# running it again after `git pull` (or `git checkout` of an older commit) is the upgrade (or the rollback).
#
# Usage: sudo scripts/bootstrap.sh
#
# What it does, each step skipped when already done:
#   1. the data directory (owned by uid 1000, the image's user), /etc/homelab with a generated storage
#      secret (uid 1000, 0400) and a commented settings file homelab.env
#   2. writes the resolved settings to /etc/homelab/compose.env (the next run and `docker compose` reuse them)
#   3. when the console already runs: `homelab backup-db` first (a copy in $DATA/backups/)
#   4. builds the image (scripts/prod-image.sh), `docker compose up -d`, waits until it is healthy
#   5. prints how to create the first user
#
# Settings (environment; a value given once is saved in compose.env and kept by later runs):
#   HOMELAB_PUBLISH_ADDRESS  host address to publish on: the tailnet or LAN IP   (default 127.0.0.1)
#   HOMELAB_PUBLISH_PORT     (default 8080)
#   HOMELAB_DATA_PATH        the data directory on the host                        (default /opt/homelab)
#   HOMELAB_REPO_PATH        the Compose repository with your stacks              (default this checkout)
#   HOMELAB_REPO_MOUNT       where the repository appears in the container        (default /repo)
#   HOMELAB_PROJECT          Compose project name                                 (default homelab)
#   HOMELAB_IMAGE            image name                                           (default homelab-control-plane:local)
#   HOMELAB_BASE_IMAGE       BASE_IMAGE build argument                            (default python:3.11-slim-bookworm)
#   HOMELAB_DOCKER_GID, HOMELAB_JOURNAL_GID   groups of the Docker socket and the journal (detected)
# Not saved: HOMELAB_ETC_DIR (default /etc/homelab), HOMELAB_HEALTH_TIMEOUT (seconds, default 180),
# HOMELAB_WHEELHOUSE=1 (build the dependencies as wheels on this host; see scripts/prod-image.sh),
# HOMELAB_ALLOW_ANY_ADDRESS=true (allow publishing on 0.0.0.0, e.g. behind a firewall).
set -euo pipefail
umask 022

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP_UID=1000
APP_GID=1000
ETC_DIR="${HOMELAB_ETC_DIR:-/etc/homelab}"
COMPOSE_ENV="${ETC_DIR}/compose.env"
HEALTH_TIMEOUT="${HOMELAB_HEALTH_TIMEOUT:-180}"
SAVED=(HOMELAB_PROJECT HOMELAB_IMAGE HOMELAB_BASE_IMAGE HOMELAB_DATA_PATH HOMELAB_REPO_PATH HOMELAB_REPO_MOUNT
    HOMELAB_PUBLISH_ADDRESS HOMELAB_PUBLISH_PORT HOMELAB_DOCKER_GID HOMELAB_JOURNAL_GID HOMELAB_ENV_FILE
    HOMELAB_SECRET_FILE)

log() { printf 'bootstrap: %s\n' "$*" >&2; }
die() {
    printf 'bootstrap: ERROR: %s\n' "$*" >&2
    exit 1
}

case "${1:-}" in
    "") ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown argument $1 (see --help)" ;;
esac

# --- settings: the environment, else what the last run saved, else the defaults ------------------------
declare -A saved=()
if [[ -f "${COMPOSE_ENV}" ]]; then
    while IFS='=' read -r key value; do
        [[ "${key}" =~ ^HOMELAB_[A-Z_]+$ ]] && saved["${key}"]="${value}"
    done <"${COMPOSE_ENV}"
fi
setting() { # setting NAME DEFAULT: export NAME from the environment, the saved file or DEFAULT
    local name="$1" value="${!1:-}"
    [[ -n "${value}" ]] || value="${saved[${name}]:-}"
    [[ -n "${value}" ]] || value="$2"
    [[ "${value}" != *$'\n'* ]] || die "${name} must be one line"
    export "${name}=${value}"
}

[[ ${EUID} -eq 0 ]] || die "run as root (sudo $0): it creates ${ETC_DIR} and gives the data directory to uid ${APP_UID}"
command -v docker >/dev/null 2>&1 || die "no docker CLI: install Docker first"
timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
    || die "the Docker engine does not answer (is dockerd running? are you root or in the docker group?)"
docker compose version --short 2>/dev/null | grep -q '^2\.' \
    || die "docker compose (v2) is not available: install the compose plugin"

socket="${DOCKER_HOST:-unix:///var/run/docker.sock}"
[[ "${socket}" == unix://* ]] || die "DOCKER_HOST=${socket}: the console mounts the local socket; run this on the Docker host"
socket="${socket#unix://}"
setting HOMELAB_PROJECT homelab
setting HOMELAB_IMAGE homelab-control-plane:local
setting HOMELAB_BASE_IMAGE python:3.11-slim-bookworm
setting HOMELAB_DATA_PATH /opt/homelab
setting HOMELAB_REPO_PATH "${REPO}"
setting HOMELAB_REPO_MOUNT /repo
setting HOMELAB_PUBLISH_ADDRESS 127.0.0.1
setting HOMELAB_PUBLISH_PORT 8080
setting HOMELAB_DOCKER_GID "$(stat -c %g "${socket}" 2>/dev/null || true)"
setting HOMELAB_JOURNAL_GID "$(getent group systemd-journal | cut -d: -f3 || true)"
setting HOMELAB_ENV_FILE "${ETC_DIR}/homelab.env"
setting HOMELAB_SECRET_FILE "${ETC_DIR}/storage_secret"

[[ "${HOMELAB_PROJECT}" =~ ^[a-z0-9][a-z0-9_-]*$ ]] || die "HOMELAB_PROJECT must be a Compose project name"
[[ "${HOMELAB_PUBLISH_PORT}" =~ ^[0-9]+$ ]] || die "HOMELAB_PUBLISH_PORT must be a port number"
[[ "${HOMELAB_DOCKER_GID}" =~ ^[0-9]+$ ]] || die "cannot tell the group of ${socket}; set HOMELAB_DOCKER_GID"
if [[ ! "${HOMELAB_JOURNAL_GID}" =~ ^[0-9]+$ || "${HOMELAB_JOURNAL_GID}" == "${HOMELAB_DOCKER_GID}" ]]; then
    log "no systemd-journal group: host_journal will not be able to read the journal"
    HOMELAB_JOURNAL_GID=65534
fi
for path in HOMELAB_DATA_PATH HOMELAB_REPO_PATH HOMELAB_ENV_FILE HOMELAB_SECRET_FILE; do
    [[ "${!path}" == /* ]] || die "${path} must be an absolute path (${!path})"
done
case "${HOMELAB_PUBLISH_ADDRESS}" in
    0.0.0.0 | :: | "[::]" | "*")
        [[ "${HOMELAB_ALLOW_ANY_ADDRESS:-}" == true ]] || die "refusing to publish on every interface \
(${HOMELAB_PUBLISH_ADDRESS}): set HOMELAB_PUBLISH_ADDRESS to the tailnet or LAN address, or \
HOMELAB_ALLOW_ANY_ADDRESS=true if a firewall guards the port"
        ;;
esac
[[ -d "${HOMELAB_REPO_PATH}" ]] || die "HOMELAB_REPO_PATH ${HOMELAB_REPO_PATH} is not a directory"
case "${HOMELAB_PUBLISH_ADDRESS}" in
    0.0.0.0 | :: | "[::]" | "*")
        # Published everywhere, the console cannot tell which names are its own; it refuses to start without them.
        grep -qE '^HOMELAB_ALLOWED_HOSTS=.+' "${HOMELAB_ENV_FILE}" 2>/dev/null || die "published on every \
interface (${HOMELAB_PUBLISH_ADDRESS}), the console needs the names browsers use: add \
HOMELAB_ALLOWED_HOSTS=[\"homelab.example.lan\"] to ${HOMELAB_ENV_FILE} (it refuses any other Host)"
        ;;
esac

compose() {
    docker compose --env-file "${COMPOSE_ENV}" -f "${REPO}/compose.prod.yml" -p "${HOMELAB_PROJECT}" \
        --project-directory "${REPO}" "$@"
}

# --- 1. directories, secret, settings file ---------------------------------------------------------------
if [[ ! -d "${HOMELAB_DATA_PATH}" ]]; then
    install -d -m 0700 -o "${APP_UID}" -g "${APP_GID}" "${HOMELAB_DATA_PATH}"
    log "created ${HOMELAB_DATA_PATH} (owner ${APP_UID}:${APP_GID})"
elif [[ "$(stat -c %u:%g "${HOMELAB_DATA_PATH}")" != "${APP_UID}:${APP_GID}" ]]; then
    # The whole tree belongs to the console's user (database, journal, requests).
    chown -R "${APP_UID}:${APP_GID}" "${HOMELAB_DATA_PATH}"
    chmod 0700 "${HOMELAB_DATA_PATH}"
    log "gave ${HOMELAB_DATA_PATH} to ${APP_UID}:${APP_GID}"
fi

mkdir -p "${ETC_DIR}"
if [[ ! -s "${HOMELAB_SECRET_FILE}" ]]; then
    mkdir -p "$(dirname "${HOMELAB_SECRET_FILE}")"
    (umask 077 && head -c 48 /dev/urandom | base64 -w0 | tr '+/' '-_' >"${HOMELAB_SECRET_FILE}.tmp")
    mv -f "${HOMELAB_SECRET_FILE}.tmp" "${HOMELAB_SECRET_FILE}"
    log "generated the storage secret ${HOMELAB_SECRET_FILE}"
fi
# A Compose secret is a bind mount: the container's user must be able to read the file, nobody else.
chown "${APP_UID}:${APP_GID}" "${HOMELAB_SECRET_FILE}"
chmod 0400 "${HOMELAB_SECRET_FILE}"

if [[ ! -f "${HOMELAB_ENV_FILE}" ]]; then
    mkdir -p "$(dirname "${HOMELAB_ENV_FILE}")"
    (umask 077 && cat >"${HOMELAB_ENV_FILE}" <<'EOF'
# Settings of the Homelab Control Plane container (HOMELAB_* variables; README "Configuration").
# Edit, then re-run scripts/bootstrap.sh (or `docker compose ... up -d`) to apply.
# The storage secret is a Compose secret (storage_secret next to this file), not a variable here.
#
# HOMELAB_CONFIG=/repo/homelab.toml            # stacks, probes, journal units, backup unit (in the repository)
#
# The console answers to 127.0.0.1, localhost and HOMELAB_PUBLISH_ADDRESS (compose.env); any other name
# browsers use (tailscale serve's, a reverse proxy's) must be listed, or they get "Invalid host header":
# HOMELAB_ALLOWED_HOSTS=["homelab.example.ts.net"]
# Behind tailscale serve, Caddy or nginx on this host, believe its X-Forwarded-For/-Proto (docs/deploy.md):
# HOMELAB_TRUSTED_PROXIES=["gateway"]
#
# HOMELAB_SESSION_IDLE_HOURS=12
# HOMELAB_OIDC_ISSUER=https://auth.example.org
# HOMELAB_OIDC_CLIENT_ID=homelab
# HOMELAB_OIDC_CLIENT_SECRET=...
# HOMELAB_OIDC_ALLOWED=me@example.org
EOF
    )
    log "wrote ${HOMELAB_ENV_FILE} (commented examples; edit to configure)"
fi

# --- 2. the resolved settings, for the next run and for `docker compose` by hand -----------------------------
{
    echo "# Written by scripts/bootstrap.sh; re-run it to change. Used as:"
    echo "#   docker compose --env-file ${COMPOSE_ENV} -f ${REPO}/compose.prod.yml -p ${HOMELAB_PROJECT} ..."
    for name in "${SAVED[@]}"; do
        printf '%s=%s\n' "${name}" "${!name}"
    done
} >"${COMPOSE_ENV}.tmp"
mv -f "${COMPOSE_ENV}.tmp" "${COMPOSE_ENV}"

# --- 3. a copy of the database before an upgrade ------------------------------------------------------------
running="$(compose ps -q --status running homelab 2>/dev/null || true)"
if [[ -n "${running}" ]]; then
    if compose exec -T homelab homelab backup-db >&2; then
        log "backed up the database before the upgrade (${HOMELAB_DATA_PATH}/backups/)"
    else
        log "WARNING: backup-db failed in the running container; continuing (see above)"
    fi
fi

# --- 4. image, up, health ------------------------------------------------------------------------------------
previous_image="$(docker image inspect -f '{{.Id}}' "${HOMELAB_IMAGE}" 2>/dev/null || true)"
HOMELAB_IMAGE="${HOMELAB_IMAGE}" HOMELAB_BASE_IMAGE="${HOMELAB_BASE_IMAGE}" bash "${REPO}/scripts/prod-image.sh" >/dev/null
new_image="$(docker image inspect -f '{{.Id}}' "${HOMELAB_IMAGE}")"
if [[ -n "${previous_image}" && "${previous_image}" != "${new_image}" ]]; then
    log "new image ${new_image:7:12} (was ${previous_image:7:12})"
fi

log "starting project ${HOMELAB_PROJECT}"
compose up -d --remove-orphans
container="$(compose ps -q homelab)"
[[ -n "${container}" ]] || die "compose up created no container"
health() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "${container}" 2>/dev/null || echo gone; }
started=${SECONDS}
deadline=$((SECONDS + HEALTH_TIMEOUT))
state="$(health)"
while [[ "${state}" != healthy ]]; do
    if [[ "${state}" == unhealthy || "${state}" == exited || "${state}" == dead || "${state}" == gone ]] \
        || ((SECONDS >= deadline)); then
        compose logs --tail 40 homelab >&2 || true
        die "the console is ${state} after $((SECONDS - started))s (logs above; recovery: docs/deploy.md)"
    fi
    sleep 1
    state="$(health)"
done
log "healthy after $((SECONDS - started))s"
# Old images of ours that nothing uses any more (a rollback rebuilds from the repository, cached).
docker image prune -f --filter "label=org.opencontainers.image.title=Homelab Control Plane" >/dev/null 2>&1 || true

# --- 5. what next ------------------------------------------------------------------------------------------
url="http://${HOMELAB_PUBLISH_ADDRESS}:${HOMELAB_PUBLISH_PORT}/"
[[ "${HOMELAB_PUBLISH_ADDRESS}" != *:* ]] || url="http://[${HOMELAB_PUBLISH_ADDRESS}]:${HOMELAB_PUBLISH_PORT}/"
name="${container:0:12}"
cat <<EOF
The Homelab Control Plane is up and healthy: ${url}  (container ${name}, project ${HOMELAB_PROJECT})

Create the first user (there is no default account), then sign in:
  docker exec -it ${name} homelab user create admin
  # or: echo 'a long passphrase' | docker exec -i ${name} homelab user create admin --password-stdin

Manage it:
  docker compose --env-file ${COMPOSE_ENV} -f ${REPO}/compose.prod.yml -p ${HOMELAB_PROJECT} ps|logs -f|restart
Upgrade: git pull && sudo ${REPO}/scripts/bootstrap.sh        (recovery and rollback: docs/deploy.md)
EOF
