#!/usr/bin/env bash
# Make the SSH peer of the engine-over-SSH tests available: Debian's OpenSSH server and client. The tests start
# their own sshd on loopback (`sshd -D -f FILE`, a throwaway host key, key auth only); no service is started
# here.
set -euo pipefail
# shellcheck source=scripts/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

missing=()
[[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
if ! command -v ssh >/dev/null 2>&1 || ! command -v ssh-keygen >/dev/null 2>&1 || ! command -v ssh-agent >/dev/null 2>&1; then
    missing+=(openssh-client)
fi
if ((${#missing[@]} == 0)); then
    exit 0
fi
can_apt || die "the engine-over-SSH tests need ${missing[*]} (Debian: apt-get install openssh-server openssh-client)"
mkdir -p "${RIG_DIR}"
# The package would start sshd as a service on port 22; the tests run their own. Docker's Debian images
# already forbid service starts during installs (policy-rc.d); elsewhere forbid them for this install only.
policy=/usr/sbin/policy-rc.d
if [[ ! -e "${policy}" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"${policy}"
    chmod 0755 "${policy}"
    trap 'rm -f "${policy}"' EXIT
fi
log "ssh peer: apt-get update (log: ${RIG_DIR}/apt.log)"
DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update >>"${RIG_DIR}/apt.log" 2>&1 \
    || die "apt-get update failed; see ${RIG_DIR}/apt.log"
apt_install "${missing[@]}"
log "ssh peer: $(/usr/sbin/sshd -V 2>&1 | head -1)"
