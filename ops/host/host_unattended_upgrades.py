"""host_unattended_upgrades: the last unattended-upgrades run, its result and the packages it upgraded."""

from __future__ import annotations

import asyncio

from ops.descriptions import Description, OperationGroup
from ops.host.results import jsonable
from ops.host.upgrades import read_upgrades_report
from ops.params import NoParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import reading


class Params(NoParams):
    """host_unattended_upgrades takes no arguments."""


@operation(
    'host_unattended_upgrades',
    summary='The last unattended-upgrades run: when, success / errors / nothing to upgrade, packages',
    params=Params,
    described=Description('Last unattended upgrade', OperationGroup.HOST, 'system_update'),
    supervised=reading(timeout=30),
)
async def host_unattended_upgrades(params: Params, ctx: RunContext) -> Result:
    """Read the unattended-upgrades log (and its rotations) for the last run."""
    report = await asyncio.to_thread(read_upgrades_report, ctx.adapters)
    run = report.last_run
    if not report.files_read:
        ctx.log('no unattended-upgrades log found (is unattended-upgrades installed on the host?)')
    elif run is None:
        ctx.log(f'no run found in {", ".join(report.files_read)}')
    else:
        ctx.log(f'last run {run.started_at} .. {run.finished_at} (host time): {run.result}')
        if run.packages:
            ctx.log(f'packages: {" ".join(run.packages)}')
        for error in run.errors:
            ctx.log(f'error: {error}')
    return dict(jsonable(report))
