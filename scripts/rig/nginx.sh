#!/usr/bin/env bash
# Make the TLS reverse proxy of the reverse-proxy tests available: Debian's nginx and openssl. The tests start
# their own nginx on loopback (`nginx -c FILE`, `daemon off;`) with a throwaway certificate; no service is
# started or enabled here.
set -euo pipefail
# shellcheck source=scripts/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

missing=()
[[ -x /usr/sbin/nginx ]] || missing+=(nginx)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if ((${#missing[@]} == 0)); then
    exit 0
fi
can_apt || die "the reverse-proxy tests need ${missing[*]} (Debian: apt-get install nginx openssl)"
mkdir -p "${RIG_DIR}"
# The package would start nginx as a service on port 80; the tests run their own. Docker's Debian images
# already forbid service starts during installs (policy-rc.d); elsewhere forbid them for this install only.
policy=/usr/sbin/policy-rc.d
if [[ ! -e "${policy}" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"${policy}"
    chmod 0755 "${policy}"
    trap 'rm -f "${policy}"' EXIT
fi
log "reverse proxy: apt-get update (log: ${RIG_DIR}/apt.log)"
DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update >>"${RIG_DIR}/apt.log" 2>&1 \
    || die "apt-get update failed; see ${RIG_DIR}/apt.log"
apt_install "${missing[@]}"
log "reverse proxy: $(/usr/sbin/nginx -v 2>&1 | head -1)"
