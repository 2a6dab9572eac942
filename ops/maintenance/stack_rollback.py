"""stack_rollback: recreate one service on the image of one of its known-good states, by digest, pinned there by the
console's override file until the pin is released."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from pydantic import PositiveInt

from ops.adapters import Adapters
from ops.checks import stack_configured
from ops.descriptions import Description, OperationGroup
from ops.docker.calls import up_progress
from ops.docker.stack_service_up import service_image
from ops.errors import OperationFailed, Refused
from ops.maintenance.known_good import record_replaced, snapshot_stack
from ops.maintenance.pins import active_pins, pin_service, restore_pins, sync_override
from ops.maintenance.records import KnownGood
from ops.params import ServiceName, StackName, StrictParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import one_change_per_stack

log = logging.getLogger(__name__)

# Compose's own deadline is well inside the run's: a timed-out `up` still puts the earlier pins back before the
# manager would cancel the run.
UP_TIMEOUT = 600
RUN_TIMEOUT = 900


class Params(StrictParams):
    """The stack, its service, and the known-good state (its id) to go back to."""

    stack: StackName
    service: ServiceName
    known_good: PositiveInt


async def known_state(params: Params) -> KnownGood:
    """The known-good state, refused unless it is one of this stack's service."""
    state = await KnownGood.get_or_none(id=params.known_good)
    if state is None or (state.stack, state.service) != (params.stack, params.service):
        raise Refused(f'no known-good state #{params.known_good} of {params.stack}/{params.service}')
    return state


async def check(params: Params, adapters: Adapters, mutating: bool) -> None:
    """The stack is configured and in scope, its files declare the service, the state is the service's, and a state
    known only by its local image id still has that image on the engine."""
    stack_configured(params.stack, adapters, mutating)
    await service_image(adapters, params.stack, params.service)
    state = await known_state(params)
    if '@' not in state.digest and await asyncio.to_thread(adapters.engine.image_ref, state.digest) is None:
        raise Refused(f'the image {state.digest[:19]}… of known-good state #{state.id} is no longer on the engine')


@operation(
    'stack_rollback',
    summary='Recreate one service on the image of an earlier known-good state, by digest, pinned until released',
    params=Params,
    described=Description(
        'Roll back a service',
        OperationGroup.ROLLBACK,
        'history',
        consequence=(
            'The {target} is recreated on the image of its known-good state #{known_good} (by digest) and stays '
            'pinned there by an override file in the data directory until the pin is released.'
        ),
    ),
    supervised=one_change_per_stack(timeout=RUN_TIMEOUT),
    check=check,
)
async def stack_rollback(params: Params, ctx: RunContext) -> Result:
    """Pin, write the override, `compose up -d SERVICE`; a failed, refused or cancelled run puts the service's
    earlier pins and the override back as they were."""
    adapters = ctx.adapters
    state = await known_state(params)
    wanted = await service_image(adapters, params.stack, params.service) or ''
    actor = ctx.actor or 'unknown'
    async with adapters.stack_locks.of(params.stack):
        before = await snapshot_stack(adapters, params.stack)
        earlier = [pin.id for pin in await active_pins(params.stack) if pin.service == params.service]
        try:
            pin = await pin_service(state, actor=actor, reason=f'run #{ctx.run_id}', wanted=wanted)
            await sync_override(adapters, params.stack)
            ctx.log(f'== {params.stack}: {params.service} pinned to {state.digest} (known-good state #{state.id})')
            ctx.log(f'== {params.stack}: compose up -d {params.service}')
            up = await adapters.compose.up(
                params.stack,
                adapters.config.stacks[params.stack].files,
                adapters.repo_dir,
                on_line=ctx.log,
                on_service_progress=up_progress(ctx, params.stack, key_prefix='up/'),
                timeout=UP_TIMEOUT,
                services=[params.service],
                remove_orphans=False,
            )
            if not up.ok:
                why = 'timed out' if up.timed_out else f'exited with {up.returncode}'
                raise OperationFailed(
                    f'compose up of {params.stack}/{params.service} {why}, its earlier pin is back:\n{up.tail()}'
                )
        except BaseException:  # failed, refused, cancelled: the service is pinned as it was before the run
            await _put_back(adapters, params.stack, params.service, earlier, actor=f'{actor} (the rollback failed)')
            raise
    # What a rollback replaces is what went wrong: never offered back as known good, whatever it looked like.
    if params.service in before:
        before[params.service] = dataclasses.replace(before[params.service], healthy=False)
    await record_replaced(before, up, run_id=ctx.run_id)
    ctx.log(f'== {params.stack}: {params.service} runs {state.digest}; pinned until someone releases it')
    return {
        'stack': params.stack,
        'service': params.service,
        'digest': state.digest,
        'known_good': state.id,
        'pin': pin.id,
        'changed': up.changed,
        'steps': {service: list(steps) for service, steps in sorted(up.steps.items())},
    }


async def _put_back(adapters: Adapters, stack: str, service: str, earlier: list[int], *, actor: str) -> None:
    """The service's pins as they were before the run, and the override made from them (shielded: a cancelled run
    still gets here; a failure here is logged, the run's own error is the one raised)."""

    async def put_back() -> None:
        await restore_pins(stack, service, earlier, actor=actor)
        await sync_override(adapters, stack)

    try:
        await asyncio.shield(put_back())
    except (Exception, asyncio.CancelledError) as err:
        log.error('the pins of %s/%s could not be put back after a failed rollback: %s', stack, service, err)
