"""host_reboot: ask the host to reboot, through a request file its own systemd path unit performs."""

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
    """host_reboot takes no arguments."""


async def check(params: Params, adapters: Adapters, mutating: bool) -> None:
    """One reboot request at a time: a pending one has not been picked up by the host yet."""
    pending = await asyncio.to_thread(read_pending, adapters.requests_dir, 'reboot')
    if pending is not None:
        raise Refused(
            f'a reboot request is already pending (id {pending.get("id")}, requested {pending.get("requested_at")}); '
            'is homelab-reboot.path installed and enabled on the host?'
        )


@operation(
    'host_reboot',
    summary='Reboot the host (a request file for the host-owned homelab-reboot unit)',
    params=Params,
    described=Description(
        label='Reboot host',
        group=OperationGroup.HOST,
        icon='power_settings_new',
        consequence='The host is asked to reboot: every container, and this console, go down for a few minutes.',
    ),
    supervised=host_request(timeout=15, lock='host:reboot'),
    check=check,
)
async def host_reboot(params: Params, ctx: RunContext) -> Result:
    """Queue the reboot; the host performs it, so success here means 'requested', not 'rebooted'."""
    details = {'actor': requester(ctx), 'run_id': ctx.run_id}
    request = await asyncio.to_thread(write_request, ctx.adapters.requests_dir, 'reboot', details)
    ctx.log(f'reboot requested: {request.path} (id {request.id}); the host unit homelab-reboot.path performs it')
    return {
        'queued': True,
        'kind': 'reboot',
        'id': request.id,
        'requested_at': request.requested_at.isoformat(),
        'request_file': str(request.path),
    }
