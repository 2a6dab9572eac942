#!/usr/bin/env bash
# Make headless Chromium and its driver available for the browser tests (Debian's packages).
set -euo pipefail
# shellcheck source=scripts/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/rig/lib.sh"

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
if can_apt; then
    apt_install chromium chromium-driver
else
    die "the browser tests need chromium and chromedriver (Debian: apt-get install chromium chromium-driver)"
fi
log "browser: $(chromium --version 2>/dev/null | head -1)"
