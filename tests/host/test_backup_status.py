"""backup_status: freshness of the backup unit's last success, from real journal files and the host result file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ops.adapters import Adapters
from ops.config import BackupConfig, HomelabConfig
from tests.helpers.host_ops import host_services, run_operation
from tests.helpers.journal_files import backup_failed, backup_succeeded, service_line, systemd_line, write_journal

UNIT = 'restic-backup.service'
CONFIG = HomelabConfig(backup=BackupConfig(unit=UNIT, max_age='26h'))
HOUR = 3600


def services_with_journal(tmp_path: Path, entries: list[bytes]) -> Adapters:
    adapters = host_services(tmp_path, CONFIG)
    write_journal(adapters.host_path('/var/log/journal'), entries)
    return adapters


async def test_a_recent_success_is_fresh(tmp_path: Path) -> None:
    adapters = services_with_journal(
        tmp_path, [*backup_succeeded(UNIT, ago=30 * HOUR), *backup_succeeded(UNIT, ago=2 * HOUR)]
    )
    result, ctx = await run_operation('backup_status', adapters)
    assert result['status'] == 'fresh'
    assert 2 * HOUR - 60 <= result['age_seconds'] <= 2 * HOUR + 60
    assert result['last_success']['source'] == 'journal'
    assert result['last_success']['message'] == f'Finished {UNIT} - Restic backup.'
    assert (result['max_age'], result['max_age_seconds']) == ('26h', 26 * HOUR)
    assert result['failing'] is False and result['last_failure'] is None
    assert 'fresh' in ctx.output


async def test_a_success_older_than_max_age_is_stale(tmp_path: Path) -> None:
    adapters = services_with_journal(tmp_path, backup_succeeded(UNIT, ago=30 * HOUR))
    result, _ = await run_operation('backup_status', adapters)
    assert result['status'] == 'stale'
    assert result['age_seconds'] > 26 * HOUR


async def test_only_failures_is_never_and_failing(tmp_path: Path) -> None:
    adapters = services_with_journal(tmp_path, [*backup_failed(UNIT, ago=5 * HOUR), *backup_failed(UNIT, ago=HOUR)])
    result, ctx = await run_operation('backup_status', adapters)
    assert result['status'] == 'never'
    assert result['failing'] is True
    assert result['last_failure']['message'].startswith(f'Failed to start {UNIT}')
    assert 'failed' in ctx.output


async def test_a_failure_after_the_last_success_is_flagged(tmp_path: Path) -> None:
    adapters = services_with_journal(tmp_path, [*backup_succeeded(UNIT, ago=20 * HOUR), *backup_failed(UNIT, ago=HOUR)])
    result, _ = await run_operation('backup_status', adapters)
    assert result['status'] == 'fresh'
    assert result['failing'] is True


async def test_the_backup_program_cannot_claim_success_itself(tmp_path: Path) -> None:
    # Only systemd's own entries count: words printed by the backup script are not a success.
    adapters = services_with_journal(
        tmp_path,
        [
            service_line(UNIT, f'Finished {UNIT} - Restic backup.', ago=HOUR),
            service_line(UNIT, f'{UNIT}: Deactivated successfully.', ago=HOUR),
            systemd_line(
                'other.service',
                'other.service: Deactivated successfully.',
                ago=HOUR,
                MESSAGE_ID='7ad2d189f7e94e70a38c781354912448',
            ),
        ],
    )
    result, _ = await run_operation('backup_status', adapters)
    assert result['status'] == 'never'


async def test_a_simple_units_started_message_is_not_a_success(tmp_path: Path) -> None:
    adapters = services_with_journal(
        tmp_path,
        [
            systemd_line(
                UNIT,
                f'Started {UNIT}.',
                ago=HOUR,
                MESSAGE_ID='39f53479d3a045ac8e11786248231fbf',
                JOB_TYPE='start',
                JOB_RESULT='done',
            )
        ],
    )
    result, _ = await run_operation('backup_status', adapters)
    assert result['status'] == 'never'


async def test_without_journal_or_result_the_status_is_unknown(tmp_path: Path) -> None:
    adapters = host_services(tmp_path, CONFIG)
    result, _ = await run_operation('backup_status', adapters)
    assert result['status'] == 'unknown'
    assert 'journal directory' in result['journal_error']


async def test_the_host_result_file_counts_when_the_journal_is_missing(tmp_path: Path) -> None:
    adapters = host_services(tmp_path, CONFIG)
    adapters.requests_dir.mkdir(parents=True)
    finished = datetime.now(tz=UTC) - timedelta(hours=3)
    host_result = {
        'id': 'abc',
        'kind': 'backup',
        'status': 'succeeded',
        'started': (finished - timedelta(minutes=5)).isoformat(),
        'finished': finished.isoformat(),
        'exit_status': 0,
        'dry_run': False,
        'message': 'restic-backup.service finished',
    }
    (adapters.requests_dir / 'backup.result').write_text(json.dumps(host_result))
    result, _ = await run_operation('backup_status', adapters)
    assert result['status'] == 'fresh'
    assert result['last_success']['source'] == 'result_file'
    assert result['host_result'] == host_result
    assert result['pending_request'] is None
