"""backup_run: start the host's backup now, through a request file its own systemd path unit performs."""

from __future__ import annotations

import asyncio

from ops.checks import no_request_pending
from ops.descriptions import Description, OperationGroup
from ops.host.request_files import requester, write_request
from ops.params import NoParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import host_request


class Params(NoParams):
    """backup_run takes no arguments."""


@operation(
    'backup_run',
    summary='Run the host backup now (a request file for the host-owned homelab-backup unit)',
    params=Params,
    described=Description(
        'Back up now',
        OperationGroup.BACKUPS,
        'backup',
        consequence='The host is asked to start its backup unit now; the backup runs on the host, not here.',
    ),
    # Asking for a backup takes nothing down: nothing to confirm.
    supervised=host_request(timeout=15, lock='backup', confirm=False),
    check=no_request_pending('backup'),
)
async def backup_run(params: Params, ctx: RunContext) -> Result:
    """Queue a backup of the configured unit; backup_status tells when it finished."""
    unit = ctx.adapters.config.backup.unit
    details = {'actor': requester(ctx), 'run_id': ctx.run_id, 'unit': unit}
    request = await asyncio.to_thread(write_request, ctx.adapters.requests_dir, 'backup', details)
    ctx.log(f'backup of {unit} requested: {request.path} (id {request.id}); the host unit homelab-backup.path runs it')
    return request.as_result(unit=unit)
