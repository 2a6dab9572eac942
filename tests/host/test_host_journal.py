"""host_journal reads real journal files (made by systemd-journal-remote) with `journalctl --directory`."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from ops.adapters import Adapters
from ops.config import HomelabConfig, JournalConfig
from ops.errors import OperationFailed, Refused
from tests.helpers.host_ops import host_services, run_operation
from tests.helpers.journal_files import backup_succeeded, service_line, systemd_line, write_journal

UNIT = 'restic-backup.service'
CONFIG = HomelabConfig(journal=JournalConfig(units=[UNIT, 'unattended-upgrades.service']))


@pytest.fixture
def adapters(tmp_path: Path) -> Adapters:
    adapters = host_services(tmp_path, CONFIG)
    write_journal(
        adapters.host_path('/var/log/journal'),
        [
            service_line(UNIT, 'old run: snapshot 11aa saved', ago=3 * 3600),
            service_line('sshd.service', 'Accepted publickey for root from 192.0.2.7', ago=2 * 3600),
            *backup_succeeded(UNIT, ago=600),
            service_line(UNIT, b'binary \xff output \x1b[31mred\x1b[0m', ago=300, priority=4),
            service_line(UNIT, '<script>alert(1)</script> stays text', ago=200),
        ],
    )
    return adapters


async def test_the_units_entries_oldest_first_with_systemds_own_lines(adapters: Adapters) -> None:
    result, ctx = await run_operation('host_journal', adapters, unit=UNIT)

    messages = [entry['message'] for entry in result['entries']]
    assert messages == [
        'old run: snapshot 11aa saved',
        f'Starting {UNIT} - Restic backup...',
        'snapshot 4f2a91c3 saved',
        f'{UNIT}: Deactivated successfully.',
        f'Finished {UNIT} - Restic backup.',
        'binary \ufffd output \x1b[31mred\x1b[0m',  # a byte-array MESSAGE, decoded
        '<script>alert(1)</script> stays text',
    ]
    assert result['count'] == 7
    assert {entry['unit'] for entry in result['entries']} == {UNIT}
    assert [entry['priority'] for entry in result['entries']][-2:] == [4, 6]
    times = [entry['time'] for entry in result['entries']]
    assert times == sorted(times) and times[0].endswith('+00:00')
    # Every entry is also a line of the run's output.
    assert len(ctx.lines) == 7
    assert ctx.lines[0].endswith('restic-backup[4242]: old run: snapshot 11aa saved')
    assert 'systemd[1]: Finished restic-backup.service - Restic backup.' in ctx.lines[4]


async def test_lines_keeps_the_newest(adapters: Adapters) -> None:
    result, _ = await run_operation('host_journal', adapters, unit=UNIT, lines=2)
    assert [entry['message'] for entry in result['entries']] == [
        'binary \ufffd output \x1b[31mred\x1b[0m',
        '<script>alert(1)</script> stays text',
    ]


async def test_since_a_duration_or_a_unix_time(adapters: Adapters) -> None:
    result, _ = await run_operation('host_journal', adapters, unit=UNIT, since='1h')
    assert result['count'] == 6 and result['entries'][0]['message'].startswith('Starting')

    result, _ = await run_operation('host_journal', adapters, unit=UNIT, since=str(int(time.time()) - 250))
    assert [entry['message'] for entry in result['entries']] == ['<script>alert(1)</script> stays text']


async def test_an_allowlisted_unit_without_entries_is_an_empty_answer(adapters: Adapters) -> None:
    result, _ = await run_operation('host_journal', adapters, unit='unattended-upgrades.service')
    assert result['count'] == 0 and result['entries'] == []


@pytest.mark.parametrize(
    'args',
    [
        {'unit': '../../etc/passwd'},
        {'unit': '-k'},
        {'unit': 'restic-backup.service; reboot'},
        {'unit': UNIT, 'lines': 0},
        {'unit': UNIT, 'lines': 5001},
        {'unit': UNIT, 'since': 'yesterday'},
        {'unit': UNIT, 'since': '--all'},
        {'unit': UNIT, 'follow': True},
    ],
)
async def test_malformed_arguments_are_refused_by_the_schema(adapters: Adapters, args: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        await run_operation('host_journal', adapters, **args)


async def test_a_unit_outside_the_allowlist_is_refused(adapters: Adapters) -> None:
    with pytest.raises(Refused, match=r'sshd\.service.*allowlist'):
        await run_operation('host_journal', adapters, unit='sshd.service')


async def test_a_missing_journal_directory_fails_with_a_reason(tmp_path: Path) -> None:
    adapters = host_services(tmp_path, CONFIG)
    with pytest.raises(OperationFailed, match=r'journal directory .* does not exist'):
        await run_operation('host_journal', adapters, unit=UNIT)


async def test_a_journal_directory_without_files_says_so(tmp_path: Path) -> None:
    adapters = host_services(tmp_path, CONFIG)
    adapters.host_path('/var/log/journal').mkdir(parents=True)
    result, ctx = await run_operation('host_journal', adapters, unit=UNIT)
    assert result['count'] == 0
    assert any('no journal files in' in note for note in result['notes'])
    assert any('no journal files in' in line for line in ctx.lines)


async def test_systemd_lines_about_other_units_stay_out(tmp_path: Path) -> None:
    adapters = host_services(tmp_path, CONFIG)
    write_journal(
        adapters.host_path('/var/log/journal'),
        [
            systemd_line('sshd.service', 'Started sshd.service - OpenBSD Secure Shell server.', ago=60),
            systemd_line(UNIT, f'Starting {UNIT} - Restic backup...', ago=30),
        ],
    )
    result, _ = await run_operation('host_journal', adapters, unit=UNIT)
    assert [entry['message'] for entry in result['entries']] == [f'Starting {UNIT} - Restic backup...']


async def test_oversized_entries_are_marked_not_dropped(tmp_path: Path) -> None:
    adapters = host_services(tmp_path, CONFIG)
    write_journal(
        adapters.host_path('/var/log/journal'),
        [
            service_line(UNIT, 'x' * 4050, ago=30),  # the message fits, the JSON line does not
            service_line(UNIT, 'y' * 6000, ago=20),  # journalctl itself leaves this one out (null)
            service_line(UNIT, 'after', ago=10),
        ],
    )
    result, _ = await run_operation('host_journal', adapters, unit=UNIT)
    messages = [entry['message'] for entry in result['entries']]
    assert messages == ['[journal entry too long to show here]'] * 2 + ['after']
    # The cut-off entry keeps its time when the timestamp came before the cut, else it has none.
    assert result['entries'][0]['time'] is None or result['entries'][0]['time'] < result['entries'][2]['time']
    assert result['entries'][1]['time'] < result['entries'][2]['time']
