"""host_reboot_required: does the host ask for a reboot after upgrades, and because of which packages."""

from __future__ import annotations

import asyncio

from ops.descriptions import Description, OperationGroup
from ops.host.reboot import read_reboot_status
from ops.host.results import jsonable
from ops.params import NoParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import reading


class Params(NoParams):
    """host_reboot_required takes no arguments."""


@operation(
    'host_reboot_required',
    summary='Whether the host needs a reboot (/run/reboot-required) and the packages that asked for it',
    params=Params,
    described=Description('Check whether a reboot is needed', OperationGroup.HOST, 'pending_actions'),
    supervised=reading(timeout=15),
)
async def host_reboot_required(params: Params, ctx: RunContext) -> Result:
    """The reboot flag, when it appeared and the packages listed with it."""
    status = await asyncio.to_thread(read_reboot_status, ctx.adapters)
    if status.since is not None:
        since = status.since.isoformat(timespec='seconds')
        ctx.log(f'reboot required since {since}: {", ".join(status.packages) or "no package list"}')
    else:
        ctx.log('no reboot required')
    return dict(jsonable(status))
