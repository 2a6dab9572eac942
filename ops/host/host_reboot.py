"""host_reboot: ask the host to reboot, through a request file its own systemd path unit performs."""

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
    """host_reboot takes no arguments."""


@operation(
    'host_reboot',
    summary='Reboot the host (a request file for the host-owned homelab-reboot unit)',
    params=Params,
    described=Description(
        'Reboot host',
        OperationGroup.HOST,
        'power_settings_new',
        consequence='The host is asked to reboot: every container, and this console, go down for a few minutes.',
    ),
    supervised=host_request(timeout=15, lock='host:reboot'),
    check=no_request_pending('reboot'),
)
async def host_reboot(params: Params, ctx: RunContext) -> Result:
    """Queue the reboot; the host performs it, so success here means 'requested', not 'rebooted'."""
    details = {'actor': requester(ctx), 'run_id': ctx.run_id}
    request = await asyncio.to_thread(write_request, ctx.adapters.requests_dir, 'reboot', details)
    ctx.log(f'reboot requested: {request.path} (id {request.id}); the host unit homelab-reboot.path performs it')
    return request.as_result()
