"""The host's journal, read from its files with `journalctl --directory` (a container has no journald to ask)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ops.clock import utc_from_timestamp
from ops.errors import OperationFailed
from ops.proc import ProcError, run_process

JOURNALCTL = 'journalctl'
# Fields an entry is shown with; the rest of an entry stays in `fields` for callers that classify entries.
_SHOWN = ('MESSAGE', 'PRIORITY', '_SYSTEMD_UNIT', 'SYSLOG_IDENTIFIER', '_PID', '__REALTIME_TIMESTAMP')
# Only what is shown or classified is asked for: shorter JSON lines stay under run_process's line cap.
_FIELDS = 'MESSAGE,PRIORITY,_SYSTEMD_UNIT,UNIT,SYSLOG_IDENTIFIER,_PID,MESSAGE_ID,JOB_TYPE,JOB_RESULT,UNIT_RESULT'
_TOO_LONG = '[journal entry too long to show here]'
_REALTIME = re.compile(r'"__REALTIME_TIMESTAMP":"(\d+)"')


@dataclass(frozen=True, kw_only=True, slots=True)
class JournalEntry:
    """One journal entry as the operator reads it."""

    time: datetime | None  # None only for an entry too long to parse whose timestamp was cut off
    unit: str | None
    priority: int | None
    identifier: str | None
    pid: int | None
    message: str
    fields: dict[str, str] = field(default_factory=dict)

    def as_text(self) -> str:
        """A journalctl-like line: time, identifier[pid]: message."""
        who = self.identifier or self.unit or 'unknown'
        pid = f'[{self.pid}]' if self.pid is not None else ''
        when = self.time.isoformat(timespec='seconds') if self.time is not None else '?'
        return f'{when} {who}{pid}: {self.message}'


@dataclass(frozen=True, kw_only=True, slots=True)
class JournalSlice:
    """Entries oldest first, plus what journalctl said besides them (warnings about unreadable files...)."""

    entries: tuple[JournalEntry, ...]
    notes: tuple[str, ...]


async def read_journal(
    directory: Path,
    *,
    unit: str,
    lines: int,
    timeout: float,
    since: int | None = None,
    matches: Sequence[str] = (),
    on_entry: Callable[[JournalEntry], object] | None = None,
) -> JournalSlice:
    """The last `lines` entries of `unit` (optionally since a unix time), narrowed by extra FIELD=value matches."""
    if not await asyncio.to_thread(directory.is_dir):
        raise OperationFailed(f'the journal directory {directory} does not exist (is the host journal mounted?)')
    argv = [JOURNALCTL, f'--directory={directory}', f'--unit={unit}', f'--lines={lines}', '--output=json']
    argv += [f'--output-fields={_FIELDS}', '--no-pager']
    if since is not None:
        argv.append(f'--since=@{since}')
    argv.extend(matches)
    entries: list[JournalEntry] = []
    notes: list[str] = []

    def take(line: str) -> None:
        entry = parse_entry(line)
        if entry is None:
            if line.strip():
                notes.append(line)
            return
        entries.append(entry)
        if on_entry is not None:
            on_entry(entry)

    try:
        result = await run_process(argv, timeout=timeout, on_line=take, max_lines=lines + 100)
    except ProcError as err:
        raise OperationFailed(f'journalctl is not available: {err}') from err
    if result.timed_out:
        raise OperationFailed(f'journalctl did not finish within {timeout:g} s')
    if result.returncode != 0:
        raise OperationFailed(f'journalctl failed (exit {result.returncode}): {" ".join(notes[-3:]) or "no output"}')
    if not entries and not await asyncio.to_thread(_has_journal_files, directory):
        # journalctl's JSON mode says nothing about an empty directory; a volatile host journal looks like this.
        notes.append(f'no journal files in {directory} (is the host journal persistent? Storage=persistent)')
    return JournalSlice(entries=tuple(entries), notes=tuple(notes))


def _has_journal_files(directory: Path) -> bool:
    return any(directory.glob('*.journal')) or any(directory.glob('*/*.journal'))


def parse_entry(line: str) -> JournalEntry | None:
    """One line of `journalctl --output=json`; None for anything else journalctl printed."""
    if not line.startswith('{'):
        return None
    try:
        data = json.loads(line)
    except ValueError:
        if '"__REALTIME_TIMESTAMP"' not in line and '"MESSAGE"' not in line:
            return None
        # run_process caps a line; an entry cut there is still an entry the operator should know exists.
        stamp = _REALTIME.search(line)
        return JournalEntry(
            time=utc_from_timestamp(int(stamp.group(1)) / 1_000_000) if stamp else None,
            unit=None,
            priority=None,
            identifier=None,
            pid=None,
            message=_TOO_LONG,
        )
    if not isinstance(data, dict):
        return None
    values = {key: _text(value) for key, value in data.items()}
    pid = _int(values.get('_PID'))
    unit = values.get('_SYSTEMD_UNIT')
    if pid == 1 and values.get('UNIT'):
        unit = values['UNIT']  # systemd's own messages about a unit name it in UNIT=
    return JournalEntry(
        time=utc_from_timestamp((_int(values.get('__REALTIME_TIMESTAMP')) or 0) / 1_000_000),
        unit=unit,
        priority=_int(values.get('PRIORITY')),
        identifier=values.get('SYSLOG_IDENTIFIER'),
        pid=pid,
        message=_message(data, values),
        fields={key: value for key, value in values.items() if key not in _SHOWN and value is not None},
    )


def _message(data: dict[str, Any], values: dict[str, str | None]) -> str:
    # journalctl writes a field over 4 KiB as null (short of --all, which would make output lines unbounded).
    if 'MESSAGE' in data and data['MESSAGE'] is None:
        return _TOO_LONG
    return values.get('MESSAGE') or ''


def _text(value: Any) -> str | None:
    # journalctl writes a field as a string, as a byte array (binary or non-UTF-8), as null when too large,
    # and as a list of those when an entry repeats the field.
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(item, int) for item in value):
        return bytes(item & 0xFF for item in value).decode('utf-8', errors='replace')
    if isinstance(value, list) and value:
        return _text(value[0])
    return None


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None
