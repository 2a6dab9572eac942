#!/usr/bin/env bash
# Install the standard OpenID provider the OIDC tests run on loopback: npm's certified `oidc-provider`, pinned by
# tests/peers/oidc/package-lock.json and installed with `npm ci` (no install scripts) into that folder's
# git-ignored node_modules. Idempotent: does nothing when the installed tree is newer than the lockfile.
set -euo pipefail
# shellcheck source=scripts/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PEER="${RIG_REPO}/tests/peers/oidc"
STAMP="${PEER}/node_modules/.homelab-installed"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    can_apt || die "the OIDC tests need Node.js 20 or later with npm (Debian: apt-get install nodejs npm)"
    mkdir -p "${RIG_DIR}"
    log "OIDC test provider: apt-get update (log: ${RIG_DIR}/apt.log)"
    DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update >>"${RIG_DIR}/apt.log" 2>&1 \
        || die "apt-get update failed; see ${RIG_DIR}/apt.log"
    apt_install nodejs npm
fi
major="$(node -p 'process.versions.node.split(".")[0]')"
((major >= 20)) || die "the OIDC tests need Node.js 20 or later; found $(node --version)"

if [[ -f ${STAMP} && ${STAMP} -nt ${PEER}/package-lock.json && ${STAMP} -nt ${PEER}/package.json ]]; then
    exit 0
fi
log "installing the OIDC test provider (npm ci in tests/peers/oidc)"
(cd "${PEER}" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2) || die "npm ci failed in ${PEER}"
touch "${STAMP}"
log "OIDC test provider: oidc-provider $(node -p "require('${PEER}/node_modules/oidc-provider/package.json').version") on node $(node --version)"
