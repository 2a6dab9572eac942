"""The last unattended-upgrades run, read from its log (and the rotated log when the current one has no run)."""

from __future__ import annotations

import gzip
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ops.adapters import Adapters

LOG_FILE = '/var/log/unattended-upgrades/unattended-upgrades.log'
# logrotate's Debian config compresses at once (.1.gz); with delaycompress the newest is plain .1.
ROTATED_SUFFIXES = ('.1', '.1.gz', '.2.gz')
MAX_BYTES = 4 * 1024 * 1024
MAX_ERRORS = 20

START = 'Starting unattended upgrades script'
PLANNED = 'Packages that will be upgraded:'
INSTALLED = 'All upgrades installed'
NOTHING = 'No packages found that can be upgraded unattended'
AUTO_REMOVED = 'Packages that were successfully auto-removed:'
REBOOTING = ', rebooting'
# Python logging's default format: '2026-11-20 06:25:11,123 INFO message'.
_LINE = re.compile(r'^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}),\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) (.*)$')

RunResult = Literal['success', 'errors', 'nothing_to_upgrade', 'incomplete']


@dataclass(frozen=True, kw_only=True, slots=True)
class UpgradeRun:
    """One run of the unattended-upgrades script. Times are the host's local time, as the log writes them."""

    started_at: str
    finished_at: str
    result: RunResult
    packages: tuple[str, ...]
    auto_removed: tuple[str, ...]
    errors: tuple[str, ...]
    reboot_started: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class UpgradesReport:
    """The last run found in the logs, and which log files were read to find it."""

    last_run: UpgradeRun | None
    files_read: tuple[str, ...]


def read_upgrades_report(adapters: Adapters) -> UpgradesReport:
    """Read the newest log, going back through rotated ones until a run start is found (blocking)."""
    lines: list[str] = []
    files_read: list[str] = []
    for suffix in ('', *ROTATED_SUFFIXES):
        path = adapters.host_path(LOG_FILE + suffix)
        if not path.is_file():
            continue
        try:
            chunk = _read_tail(path)
        except (OSError, EOFError):
            continue  # unreadable or a damaged archive: the other files may still tell
        files_read.append(LOG_FILE + suffix)
        lines = chunk + lines
        if any(START in line for line in chunk):
            break
    return UpgradesReport(last_run=parse_last_run(lines), files_read=tuple(files_read))


def parse_last_run(lines: Sequence[str]) -> UpgradeRun | None:
    """The last run in log lines (oldest first): from its start line to the end."""
    starts = [index for index, line in enumerate(lines) if START in line]
    if not starts:
        return None
    started_at = finished_at = ''
    packages: tuple[str, ...] = ()
    auto_removed: tuple[str, ...] = ()
    errors: list[str] = []
    installed = nothing = planned = reboot = False
    for line in lines[starts[-1] :]:
        match = _LINE.match(line)
        if match is None:
            continue  # the continuation of a multi-line message
        day, clock, level, message = match.groups()
        finished_at = f'{day}T{clock}'
        started_at = started_at or finished_at
        if level in ('ERROR', 'CRITICAL'):
            errors.append(message.strip())
        elif message.startswith(PLANNED):
            planned, packages = True, tuple(message.removeprefix(PLANNED).split())
        elif message.startswith(AUTO_REMOVED):
            auto_removed = tuple(message.removeprefix(AUTO_REMOVED).split())
        installed = installed or message.startswith(INSTALLED)
        nothing = nothing or message.startswith(NOTHING)
        reboot = reboot or (level == 'WARNING' and message.endswith(REBOOTING))
    return UpgradeRun(
        started_at=started_at,
        finished_at=finished_at,
        result=_result(errors=bool(errors), installed=installed, nothing=nothing, planned=planned, packages=packages),
        packages=packages,
        auto_removed=auto_removed,
        errors=tuple(errors[:MAX_ERRORS]),
        reboot_started=reboot,
    )


def _result(*, errors: bool, installed: bool, nothing: bool, planned: bool, packages: tuple[str, ...]) -> RunResult:
    if errors:
        return 'errors'
    if installed:
        return 'success'
    if nothing:
        return 'nothing_to_upgrade'
    # Only auto-removals to do: the script plans an empty upgrade and never logs "All upgrades installed".
    if planned and not packages:
        return 'success'
    return 'incomplete'


def _read_tail(path: Path) -> list[str]:
    # The last run is at the end: a huge log only costs its last MAX_BYTES.
    if path.suffix == '.gz':
        with gzip.open(path, 'rb') as stream:
            data = b''
            while chunk := stream.read(MAX_BYTES):
                data = (data + chunk)[-MAX_BYTES:]
    else:
        with path.open('rb') as stream:
            size = stream.seek(0, 2)
            stream.seek(max(0, size - MAX_BYTES))
            data = stream.read()
    return data.decode('utf-8', errors='replace').splitlines()
