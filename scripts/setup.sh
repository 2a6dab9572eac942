#!/usr/bin/env bash
# Create .venv and install the project with the exact versions CI tested (requirements.lock).
# Idempotent and quick when nothing changed: a stamp records the inputs' checksum.
#
# Usage: bash scripts/setup.sh            (runtime + dev dependencies; what make run/test use)
set -euo pipefail
# shellcheck source=scripts/rig/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/rig/lib.sh"
cd "${RIG_REPO}"

VENV=.venv
STAMP="${VENV}/.setup-stamp"

python_ok() { command -v python3 >/dev/null 2>&1 && python3 -c 'import sys, venv, ensurepip; assert sys.version_info >= (3, 11)' 2>/dev/null; }
if ! python_ok; then
    # A fresh Debian 12 has no python3-venv (and maybe no python3): install Debian's 3.11.
    can_apt || die "need Python >= 3.11 with venv; install python3 and python3-venv, then re-run"
    apt_install python3 python3-venv python3-pip
    python_ok || die "python3 >= 3.11 with venv is still missing after apt-get install"
fi

want="$(cat pyproject.toml requirements.lock | sha256sum | cut -d' ' -f1) $(python3 -c 'import sys; print(sys.version)' | head -1)"
if [[ -x "${VENV}/bin/python" && -f "${STAMP}" && "$(<"${STAMP}")" == "${want}" ]]; then
    exit 0
fi

log "setting up ${VENV} (Python $(python3 -c 'import platform; print(platform.python_version())'))"
[[ -x "${VENV}/bin/python" ]] || python3 -m venv "${VENV}"
"${VENV}/bin/python" -m pip install -q --upgrade pip >/dev/null
# The lock pins every transitive version; the editable install adds the `homelab` command.
"${VENV}/bin/python" -m pip install -q -c requirements.lock -e '.[dev]'
printf '%s' "${want}" >"${STAMP}"
log "${VENV} ready"
