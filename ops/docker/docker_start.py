"""docker_start: start one stopped container (single-flight per container)."""

from __future__ import annotations

from ops.checks import resolved_container
from ops.descriptions import ContainerButton, Description, OperationGroup
from ops.docker.calls import blocking
from ops.params import ContainerParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import one_change_per_container

START_TIMEOUT = 60


class Params(ContainerParams):
    """The container, by name or id."""


@operation(
    'docker_start',
    summary='Start one stopped container',
    params=Params,
    described=Description(
        'Start container',
        OperationGroup.CONTAINERS,
        'play_circle',
        consequence='Container {container} is started with the configuration it was created with.',
        button=ContainerButton(label='Start', rank=3),
    ),
    # Starting brings a service back: nothing to confirm.
    supervised=one_change_per_container(timeout=START_TIMEOUT, confirm=False),
    check=resolved_container,
)
async def docker_start(params: Params, ctx: RunContext) -> Result:
    """Start; starting a running container changes nothing. The result has the state and start time after."""
    engine = ctx.adapters.engine
    before = await blocking(engine.inspect, params.container)
    ctx.log(f'starting {before.name} ({before.state})')
    await blocking(engine.start, params.container, timeout=START_TIMEOUT - 10)
    after = await blocking(engine.inspect, params.container)
    ctx.log(f'{after.name} is {after.state}, started {after.started_at}')
    return {
        'container': after.name,
        'container_id': after.id,
        'state_before': before.state,
        'started_at_before': before.started_at,
        'state': after.state,
        'started_at': after.started_at,
    }
