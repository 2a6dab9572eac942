# shellcheck shell=bash
# shellcheck disable=SC2034  # the settings below are used by the scripts that source this file
# Shared helpers for the test rig scripts (scripts/rig.sh, scripts/rig/*.sh, scripts/dev-stack.sh).
# Source it; it defines functions and default settings only and runs nothing.

RIG_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Where the rig keeps its state (registry storage, logs, pid files). Root gets a persistent dir so
# the registry content survives reboots; anyone else gets a per-user temp dir.
if [[ -z "${RIG_DIR:-}" ]]; then
    if [[ ${EUID} -eq 0 ]]; then RIG_DIR=/var/lib/homelab-rig; else RIG_DIR="/tmp/homelab-rig-${EUID}"; fi
fi
RIG_REGISTRY_ADDR="${RIG_REGISTRY_ADDR:-127.0.0.1:5000}"
# Image names used by the dev stack; keep in sync with compose.dev.yml.
RIG_BASE_IMAGE="${RIG_BASE_IMAGE:-busybox:1.36}"
RIG_BASE_ALIAS="homelab-dev/busybox:latest"
RIG_APP_REPO="localhost:${RIG_REGISTRY_ADDR##*:}/homelab-dev/app"

log() { printf 'rig: %s\n' "$*" >&2; }
die() { printf 'rig: ERROR: %s\n' "$*" >&2; exit 1; }

# wait_until SECONDS CMD [ARGS...]: poll CMD every 0.2 s until it succeeds; fail after SECONDS.
wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# http_code URL: print the HTTP status of a GET (000 when nothing answers). curl, else python3.
http_code() {
    if command -v curl >/dev/null 2>&1; then
        curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1" || true
    else
        python3 - "$1" <<'EOF'
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=3).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print("000")
EOF
    fi
}

# can_apt: true when we may install Debian packages ourselves (root on Debian with apt-get).
can_apt() { [[ ${EUID} -eq 0 && -f /etc/debian_version ]] && command -v apt-get >/dev/null 2>&1; }

# apt_install PKG...: install Debian packages; run `apt-get update` only if the first try fails
# (fresh machines/CI images often ship without package lists). Waits for a concurrent apt run.
apt_install() {
    can_apt || die "need Debian packages '$*' but cannot install them (not root on Debian); install them first"
    mkdir -p "${RIG_DIR}"
    local apt=(apt-get -y -q -o DPkg::Lock::Timeout=300 install "$@")
    log "installing $* with apt-get (log: ${RIG_DIR}/apt.log)"
    if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" >>"${RIG_DIR}/apt.log" 2>&1; then
        log "apt-get install failed; running apt-get update and retrying"
        DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update >>"${RIG_DIR}/apt.log" 2>&1 \
            || die "apt-get update failed; see ${RIG_DIR}/apt.log"
        DEBIAN_FRONTEND=noninteractive "${apt[@]}" >>"${RIG_DIR}/apt.log" 2>&1 \
            || die "apt-get install $* failed; see ${RIG_DIR}/apt.log"
    fi
}

# engine_ok: the Docker engine answers (bounded, so a hung socket cannot stall the rig).
engine_ok() { timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# apt_install_no_services WHAT PKG...: install packages whose Debian scripts would start a service (nginx on 80,
# sshd on 22) without starting it: the tests run their own on loopback. Docker's Debian images already forbid
# service starts during installs (policy-rc.d); elsewhere they are forbidden for this install only.
apt_install_no_services() {
    local what=$1
    shift
    can_apt || die "the ${what} tests need $* (Debian: apt-get install $*)"
    mkdir -p "${RIG_DIR}"
    local policy=/usr/sbin/policy-rc.d placed=''
    if [[ ! -e "${policy}" ]]; then
        printf '#!/bin/sh\nexit 101\n' >"${policy}"
        chmod 0755 "${policy}"
        placed=1
    fi
    log "${what}: apt-get update (log: ${RIG_DIR}/apt.log)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update >>"${RIG_DIR}/apt.log" 2>&1; then
        [[ -z "${placed}" ]] || rm -f "${policy}"
        die "apt-get update failed; see ${RIG_DIR}/apt.log"
    fi
    (apt_install "$@") || { [[ -z "${placed}" ]] || rm -f "${policy}"; die "apt-get install $* failed"; }
    [[ -z "${placed}" ]] || rm -f "${policy}"
}
