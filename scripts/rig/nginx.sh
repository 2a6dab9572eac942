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
apt_install_no_services 'reverse proxy' "${missing[@]}"
log "reverse proxy: $(/usr/sbin/nginx -v 2>&1 | head -1)"
