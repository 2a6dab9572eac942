"""backup_run: start the host's backup now, through a request file its own systemd path unit performs."""

from __future__ import annotations

import asyncio

from ops.adapters import Adapters
from ops.descriptions import Description, OperationGroup
from ops.errors import Refused
from ops.host.request_files import read_pending, requester, write_request
from ops.params import NoParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import host_request


class Params(NoParams):
    """backup_run takes no arguments."""


async def check(params: Params, adapters: Adapters, mutating: bool) -> None:
    """Single-flight across runs too: a request the host has not picked up yet blocks another."""
    pending = await asyncio.to_thread(read_pending, adapters.requests_dir, 'backup')
    if pending is not None:
        raise Refused(
            f'a backup request is already pending (id {pending.get("id")}, requested {pending.get("requested_at")}); '
            'is homelab-backup.path installed and enabled on the host?'
        )


@operation(
    'backup_run',
    summary='Run the host backup now (a request file for the host-owned homelab-backup unit)',
    params=Params,
    described=Description(
        label='Back up now',
        group=OperationGroup.BACKUPS,
        icon='backup',
        consequence='The host is asked to start its backup unit now; the backup runs on the host, not here.',
    ),
    # The backup runs on the host and can be run again: nothing to confirm.
    supervised=host_request(timeout=15, lock='backup', confirm=False),
    check=check,
)
async def backup_run(params: Params, ctx: RunContext) -> Result:
    """Queue a backup of the configured unit; backup_status tells when it finished."""
    unit = ctx.adapters.config.backup.unit
    details = {'actor': requester(ctx), 'run_id': ctx.run_id, 'unit': unit}
    request = await asyncio.to_thread(write_request, ctx.adapters.requests_dir, 'backup', details)
    ctx.log(f'backup of {unit} requested: {request.path} (id {request.id}); the host unit homelab-backup.path runs it')
    return {
        'queued': True,
        'kind': 'backup',
        'id': request.id,
        'unit': unit,
        'requested_at': request.requested_at.isoformat(),
        'request_file': str(request.path),
    }
