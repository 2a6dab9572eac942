"""Real journal files for tests: journal export format piped through systemd-journal-remote."""

from __future__ import annotations

import struct
import subprocess
import time
from pathlib import Path

from tests.helpers.rig import missing

JOURNAL_REMOTE = Path('/lib/systemd/systemd-journal-remote')
BOOT_ID = '0123456789abcdef0123456789abcdef'
MACHINE_ID = 'fedcba9876543210fedcba9876543210'
# systemd's catalog ids for the messages PID 1 logs about units.
JOB_DONE = '39f53479d3a045ac8e11786248231fbf'
UNIT_SUCCESS = '7ad2d189f7e94e70a38c781354912448'
UNIT_FAILURE_RESULT = 'd9b373ed55a64feb8242e02dbe79a49c'


def require_journal_tools() -> None:
    """Skip (or fail in CI) when journalctl or systemd-journal-remote is missing (scripts/host-tools.sh)."""
    if not JOURNAL_REMOTE.exists() or not Path('/usr/bin/journalctl').exists():
        missing('journalctl and systemd-journal-remote are not installed (bash scripts/host-tools.sh)')


def entry(message: str | bytes, *, ago: float, **fields: str) -> bytes:
    """One entry in journal export format, `ago` seconds before now; a bytes message goes in binary form."""
    realtime = int((time.time() - ago) * 1_000_000)
    lines = [
        f'__REALTIME_TIMESTAMP={realtime}',
        f'__MONOTONIC_TIMESTAMP={realtime % 10**11}',
        f'_BOOT_ID={BOOT_ID}',
        f'_MACHINE_ID={MACHINE_ID}',
        '_HOSTNAME=homelab',
        *(f'{key}={value}' for key, value in fields.items()),
    ]
    data = ''.join(line + '\n' for line in lines).encode()
    if isinstance(message, bytes):
        data += b'MESSAGE\n' + struct.pack('<Q', len(message)) + message + b'\n'
    else:
        data += f'MESSAGE={message}\n'.encode()
    return data + b'\n'


def service_line(unit: str, message: str | bytes, *, ago: float, pid: int = 4242, priority: int = 6) -> bytes:
    """What a unit's own process writes to the journal."""
    identifier = unit.split('.')[0]
    return entry(
        message,
        ago=ago,
        _SYSTEMD_UNIT=unit,
        _PID=str(pid),
        SYSLOG_IDENTIFIER=identifier,
        PRIORITY=str(priority),
        _COMM=identifier,
    )


def systemd_line(unit: str, message: str, *, ago: float, priority: int = 6, **fields: str) -> bytes:
    """What systemd (PID 1) logs about a unit: UNIT= names it, catalog fields say what happened."""
    return entry(
        message,
        ago=ago,
        _SYSTEMD_UNIT='init.scope',
        _PID='1',
        _COMM='systemd',
        SYSLOG_IDENTIFIER='systemd',
        UNIT=unit,
        PRIORITY=str(priority),
        **fields,
    )


def backup_succeeded(unit: str, *, ago: float) -> list[bytes]:
    """A oneshot backup run that ended well, as systemd 252 logs it."""
    return [
        systemd_line(unit, f'Starting {unit} - Restic backup...', ago=ago + 60, JOB_TYPE='start'),
        service_line(unit, 'snapshot 4f2a91c3 saved', ago=ago + 1),
        systemd_line(unit, f'{unit}: Deactivated successfully.', ago=ago, MESSAGE_ID=UNIT_SUCCESS),
        systemd_line(
            unit, f'Finished {unit} - Restic backup.', ago=ago, MESSAGE_ID=JOB_DONE, JOB_TYPE='start', JOB_RESULT='done'
        ),
    ]


def backup_failed(unit: str, *, ago: float) -> list[bytes]:
    """A oneshot backup run whose process exited 1."""
    return [
        service_line(unit, 'Fatal: unable to open repository', ago=ago + 1, priority=3),
        systemd_line(unit, f'{unit}: Main process exited, code=exited, status=1/FAILURE', ago=ago, priority=5),
        systemd_line(
            unit,
            f"{unit}: Failed with result 'exit-code'.",
            ago=ago,
            priority=4,
            MESSAGE_ID=UNIT_FAILURE_RESULT,
            UNIT_RESULT='exit-code',
        ),
        systemd_line(
            unit,
            f'Failed to start {unit} - Restic backup.',
            ago=ago,
            priority=3,
            MESSAGE_ID=JOB_DONE,
            JOB_TYPE='start',
            JOB_RESULT='failed',
        ),
    ]


def write_journal(journal_dir: Path, entries: list[bytes]) -> Path:
    """Write entries (oldest first) as a real journal file where the host keeps it: DIR/<machine-id>/."""
    require_journal_tools()
    target = journal_dir / MACHINE_ID / 'system.journal'
    target.parent.mkdir(parents=True, exist_ok=True)
    completed = subprocess.run(
        [str(JOURNAL_REMOTE), f'--output={target}', '-'],
        input=b''.join(entries),
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr.decode(errors='replace')
    return target
