"""stack_pin_release: let a service pinned by a rollback follow its stack files again (the drift loop then proposes
what the files ask for)."""

from __future__ import annotations

from ops.adapters import Adapters
from ops.checks import stack_configured
from ops.descriptions import Description, OperationGroup
from ops.errors import Refused
from ops.maintenance.pins import active_pin, release_pins, sync_override
from ops.params import ServiceName, StackName, StrictParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import one_change_per_stack


class Params(StrictParams):
    """The stack and its pinned service."""

    stack: StackName
    service: ServiceName


async def check(params: Params, adapters: Adapters, mutating: bool) -> None:
    """The stack is configured and in scope, and the service is pinned."""
    stack_configured(params.stack, adapters, mutating)
    if await active_pin(params.stack, params.service) is None:
        raise Refused(f'{params.stack}/{params.service} is not pinned by a rollback')


@operation(
    'stack_pin_release',
    summary='Release the rollback pin of a service: its stack files decide its image again',
    params=Params,
    described=Description(
        'Release a rollback pin',
        OperationGroup.ROLLBACK,
        'lock_open',
        consequence=(
            'The pin of the {target} is released and its override removed: nothing is recreated now, but the '
            'drift check then proposes the image its stack files name (the update that was rolled back).'
        ),
    ),
    supervised=one_change_per_stack(timeout=60),
    check=check,
)
async def stack_pin_release(params: Params, ctx: RunContext) -> Result:
    """Mark the pin released and rewrite the stack's override from the pins left (removed when none)."""
    adapters = ctx.adapters
    async with adapters.stack_locks.of(params.stack):
        pin = await active_pin(params.stack, params.service)
        if pin is None:
            raise Refused(f'{params.stack}/{params.service} is not pinned by a rollback')
        released = await release_pins(params.stack, params.service, actor=ctx.actor or 'unknown')
        still = await sync_override(adapters, params.stack)
    ctx.log(f'== {params.stack}: {params.service} released from {pin.digest}')
    ctx.log(f'== {params.stack}: override {"rewritten for the other pins" if still else "removed"}')
    return {'stack': params.stack, 'service': params.service, 'released': released, 'digest': pin.digest}
