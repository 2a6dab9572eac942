"""docker_stop: stop one container, as `docker stop` does (single-flight per container)."""

from __future__ import annotations

from ops.checks import resolved_container
from ops.descriptions import ContainerButton, Description, OperationGroup
from ops.docker.calls import blocking
from ops.params import ContainerParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import one_change_per_container

STOP_TIMEOUT = 120
# The longest grace a stop gives: with the engine client's own timeout on top, the request ends within the run's.
LONGEST_GRACE = 75


class Params(ContainerParams):
    """The container, by name or id."""


@operation(
    'docker_stop',
    summary='Stop one container (SIGTERM, then SIGKILL after its stop timeout)',
    params=Params,
    described=Description(
        'Stop container',
        OperationGroup.CONTAINERS,
        'stop_circle',
        consequence='Container {container} is stopped; its service is down until the container is started again.',
        button=ContainerButton(label='Stop', rank=2),
    ),
    supervised=one_change_per_container(timeout=STOP_TIMEOUT),
    check=resolved_container,
)
async def docker_stop(params: Params, ctx: RunContext) -> Result:
    """Stop with the container's own grace (at most LONGEST_GRACE s); the result has the state before and after, the
    exit code and the grace given."""
    engine = ctx.adapters.engine
    before = await blocking(engine.inspect, params.container)
    ctx.log(f'stopping {before.name} ({before.state})')
    grace = await blocking(
        lambda: engine.stop(params.container, longest_grace=LONGEST_GRACE), timeout=STOP_TIMEOUT - 10
    )
    after = await blocking(engine.inspect, params.container)
    ctx.log(
        f'{after.name} is {after.state} (exit code {after.exit_code}, {grace} s grace), finished {after.finished_at}'
    )
    return {
        'container': after.name,
        'container_id': after.id,
        'state_before': before.state,
        'state': after.state,
        'exit_code': after.exit_code,
        'finished_at': after.finished_at,
        'grace_seconds': grace,
    }
