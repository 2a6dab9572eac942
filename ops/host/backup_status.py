"""backup_status: how old the last successful backup is, against the configured max_age."""

from __future__ import annotations

import asyncio

from ops.clock import utc_now
from ops.config import parse_duration
from ops.descriptions import Description, OperationGroup
from ops.errors import OperationFailed
from ops.host.backup import SYSTEMD_MATCHES, BackupEvent, event_from_result, freshness, last_events, newest
from ops.host.request_files import read_pending, read_result
from ops.host.results import jsonable
from ops.host.systemd_journal import read_journal
from ops.params import NoParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import reading

TIMEOUT = 30.0
# systemd writes a handful of entries per run about the unit; this reaches back well over a hundred runs.
JOURNAL_LINES = 1000


class Params(NoParams):
    """backup_status takes no arguments."""


@operation(
    'backup_status',
    summary=(
        'Freshness of the last successful backup (fresh / stale / never / not_configured) '
        'from the journal and the host result'
    ),
    params=Params,
    described=Description('Backup freshness', OperationGroup.BACKUPS, 'history'),
    supervised=reading(timeout=TIMEOUT),
)
async def backup_status(params: Params, ctx: RunContext) -> Result:
    """Last success and failure of the backup unit, its age and whether it is within max_age."""
    adapters = ctx.adapters
    config = adapters.config.backup
    if not adapters.config.backup_configured:
        ctx.log('backups not configured: the config has no [backup] section naming the unit to watch')
        return {'unit': config.unit, 'status': 'not_configured', 'configured': False, 'max_age': config.max_age}
    journal_success: BackupEvent | None = None
    journal_failure: BackupEvent | None = None
    journal_error: str | None = None
    try:
        journal = await read_journal(
            adapters.host_path(adapters.config.journal.directory),
            unit=config.unit,
            lines=JOURNAL_LINES,
            matches=SYSTEMD_MATCHES,
            timeout=TIMEOUT - 5,
        )
        journal_success, journal_failure = last_events(journal.entries)
    except OperationFailed as err:
        journal_error = str(err)
        ctx.log(f'journal not readable: {err}')
    host_result = await asyncio.to_thread(read_result, adapters.requests_dir, 'backup')
    pending = await asyncio.to_thread(read_pending, adapters.requests_dir, 'backup')
    from_result = event_from_result(host_result)
    ok = from_result if from_result and from_result.outcome == 'success' else None
    failed = from_result if from_result and from_result.outcome == 'failure' else None
    last_success, last_failure = newest(journal_success, ok), newest(journal_failure, failed)

    now = utc_now()
    max_age = parse_duration(config.max_age)
    status = freshness(last_success, now, max_age, known=journal_error is None or host_result is not None)
    age = round((now - last_success.time).total_seconds()) if last_success else None
    failing = last_failure is not None and (last_success is None or last_failure.time > last_success.time)
    if last_success is None:
        ctx.log(f'{config.unit}: {status}')
    else:
        ctx.log(f'{config.unit}: {status}, last success {last_success.time.isoformat()} ({age} s ago)')
    if failing and last_failure is not None:
        ctx.log(f'the latest run failed at {last_failure.time.isoformat()}: {last_failure.message}')
    return {
        'unit': config.unit,
        'status': status,
        'configured': True,
        'max_age': config.max_age,
        'max_age_seconds': max_age,
        'age_seconds': age,
        'last_success': jsonable(last_success),
        'last_failure': jsonable(last_failure),
        'failing': failing,
        'host_result': host_result,
        'pending_request': pending,
        'journal_error': journal_error,
    }
