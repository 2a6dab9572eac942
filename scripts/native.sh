#!/usr/bin/env bash
# Make the native-window test possible: Xvfb (a display without a screen), the Qt xcb libraries pywebview's
# Qt backend needs, xdotool (to type into the window) and imagemagick (`import` takes the screenshot).
set -euo pipefail
# shellcheck source=scripts/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/rig/lib.sh"

packages=(xvfb libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xkb1
    libxkbcommon-x11-0 libxcb-shape0 xdotool imagemagick)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "${package}" 2>/dev/null | grep -q 'install ok installed' || missing+=("${package}")
done
if ((${#missing[@]} == 0)); then
    exit 0
fi
if can_apt; then
    apt_install "${missing[@]}"
else
    die "the native-window test needs ${missing[*]} (Debian: apt-get install ${missing[*]})"
fi
log "native window: $(Xvfb -version 2>&1 | grep -m1 -i 'x.org' || echo Xvfb installed)"
