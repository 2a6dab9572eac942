"""host_unattended_upgrades finds the last run in unattended-upgrades.log, going back to rotated logs if needed."""

from __future__ import annotations

import gzip
from pathlib import Path

from ops.adapters import Adapters
from tests.helpers.host_ops import host_services, run_operation

LOG = '/var/log/unattended-upgrades/unattended-upgrades.log'
ORIGINS = (
    'INFO Allowed origins are: origin=Debian,codename=bookworm,label=Debian, '
    'origin=Debian,codename=bookworm,label=Debian-Security, '
    'origin=Debian,codename=bookworm-security,label=Debian-Security'
)


def run_lines(day: str, clock: str, *body: str) -> str:
    """One run as the script logs it: '<date> <time>,<ms> LEVEL message'."""
    lines = [
        'INFO Starting unattended upgrades script',
        ORIGINS,
        'INFO Initial blacklist: ',
        'INFO Initial whitelist (not strict): ',
        *body,
    ]
    hour, minute, _ = clock.split(':')
    return ''.join(f'{day} {hour}:{minute}:{10 + i:02d},{100 + i} {line}\n' for i, line in enumerate(lines))


NOTHING = ('INFO No packages found that can be upgraded unattended and no pending auto-removals',)
SUCCESS = (
    'INFO Packages that will be upgraded: libssl3 openssl',
    'INFO Writing dpkg log to /var/log/unattended-upgrades/unattended-upgrades-dpkg.log',
    'INFO All upgrades installed',
    'INFO Packages that were successfully auto-removed: linux-image-6.1.0-25-amd64',
    'INFO Packages that are kept back: ',
)
ERRORS = (
    'INFO Packages that will be upgraded: docker.io containerd',
    'INFO Writing dpkg log to /var/log/unattended-upgrades/unattended-upgrades-dpkg.log',
    'ERROR Installing the upgrades failed!',
    'ERROR error message: installArchives() failed',
    'ERROR dpkg returned a error! See /var/log/unattended-upgrades/unattended-upgrades-dpkg.log for details',
)


def write_log(adapters: Adapters, suffix: str, text: str) -> None:
    path = adapters.host_path(LOG + suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix.endswith('.gz'):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)


async def test_the_last_run_installed_upgrades(tmp_path: Path) -> None:
    adapters = host_services(tmp_path)
    write_log(
        adapters, '', run_lines('2026-11-19', '06:25:00', *NOTHING) + run_lines('2026-11-20', '06:25:00', *SUCCESS)
    )

    result, ctx = await run_operation('host_unattended_upgrades', adapters)

    assert result['files_read'] == [LOG]
    assert result['last_run'] == {
        'started_at': '2026-11-20T06:25:10',
        'finished_at': '2026-11-20T06:25:18',
        'result': 'success',
        'packages': ['libssl3', 'openssl'],
        'auto_removed': ['linux-image-6.1.0-25-amd64'],
        'errors': [],
        'reboot_started': False,
    }
    assert 'success' in ctx.output and 'libssl3 openssl' in ctx.output


async def test_errors_win_over_everything(tmp_path: Path) -> None:
    adapters = host_services(tmp_path)
    traceback = 'Traceback (most recent call last):\n  File "/usr/bin/unattended-upgrade", line 2, in <module>\n'
    write_log(
        adapters,
        '',
        run_lines('2026-11-20', '06:25:00', *SUCCESS)
        + run_lines('2026-11-21', '06:11:00', *ERRORS, 'WARNING Found /var/run/reboot-required, rebooting')
        + traceback,
    )

    result, ctx = await run_operation('host_unattended_upgrades', adapters)

    run = result['last_run']
    assert run['result'] == 'errors'
    assert run['packages'] == ['docker.io', 'containerd']
    assert run['errors'][0] == 'Installing the upgrades failed!'
    assert len(run['errors']) == 3
    assert run['reboot_started'] is True
    assert 'error: Installing the upgrades failed!' in ctx.output


async def test_nothing_to_upgrade(tmp_path: Path) -> None:
    adapters = host_services(tmp_path)
    write_log(adapters, '', run_lines('2026-11-22', '06:02:00', *NOTHING))
    result, _ = await run_operation('host_unattended_upgrades', adapters)
    assert result['last_run']['result'] == 'nothing_to_upgrade'
    assert result['last_run']['packages'] == []


async def test_a_run_without_an_end_is_incomplete(tmp_path: Path) -> None:
    adapters = host_services(tmp_path)
    write_log(adapters, '', run_lines('2026-11-22', '06:02:00', 'INFO Packages that will be upgraded: tzdata'))
    result, _ = await run_operation('host_unattended_upgrades', adapters)
    assert result['last_run']['result'] == 'incomplete'
    assert result['last_run']['packages'] == ['tzdata']


async def test_after_rotation_the_compressed_log_tells(tmp_path: Path) -> None:
    adapters = host_services(tmp_path)
    write_log(adapters, '', '')  # logrotate just emptied it
    write_log(adapters, '.1.gz', run_lines('2026-10-30', '06:40:00', *SUCCESS))
    write_log(adapters, '.2.gz', run_lines('2026-09-30', '06:40:00', *ERRORS))

    result, _ = await run_operation('host_unattended_upgrades', adapters)

    assert result['files_read'] == [LOG, LOG + '.1.gz']
    assert result['last_run']['result'] == 'success'
    assert result['last_run']['started_at'] == '2026-10-30T06:40:10'


async def test_a_run_split_by_rotation_is_read_whole(tmp_path: Path) -> None:
    adapters = host_services(tmp_path)
    whole = run_lines('2026-11-01', '06:40:00', *SUCCESS).splitlines(keepends=True)
    write_log(adapters, '.1', ''.join(whole[:5]))
    write_log(adapters, '', ''.join(whole[5:]))

    result, _ = await run_operation('host_unattended_upgrades', adapters)

    assert result['files_read'] == [LOG, LOG + '.1']
    assert result['last_run']['result'] == 'success'
    assert result['last_run']['packages'] == ['libssl3', 'openssl']


async def test_no_log_at_all(tmp_path: Path) -> None:
    adapters = host_services(tmp_path)
    result, ctx = await run_operation('host_unattended_upgrades', adapters)
    assert result == {'last_run': None, 'files_read': []}
    assert 'no unattended-upgrades log found' in ctx.output
