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
apt_install_no_services 'ssh peer' "${missing[@]}"
log "ssh peer: $(/usr/sbin/sshd -V 2>&1 | head -1)"
