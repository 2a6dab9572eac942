#!/usr/bin/env bash
# Make the host programs the host-signal tests run for real available: journalctl reading journal files
# made by systemd-journal-remote, and ping for the ICMP probe (Debian's packages).
set -euo pipefail
# shellcheck source=scripts/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/rig/lib.sh"

missing=()
command -v journalctl >/dev/null 2>&1 || missing+=(systemd)
[[ -x /lib/systemd/systemd-journal-remote ]] || missing+=(systemd-journal-remote)
command -v ping >/dev/null 2>&1 || missing+=(iputils-ping)
if ((${#missing[@]} == 0)); then
    exit 0
fi
if can_apt; then
    apt_install "${missing[@]}"
else
    die "the host tests need ${missing[*]} (Debian: apt-get install ${missing[*]})"
fi
log "host tools: $(journalctl --version | head -1); $(ping -V 2>&1 | head -1)"
