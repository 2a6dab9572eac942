"""stack_orphan_remove: stop and delete a container of a managed stack whose service its files no longer have
(what `compose up --remove-orphans` does, for exactly one container)."""

from __future__ import annotations

from ops.adapters import Adapters
from ops.checks import container_in_scope, stack_configured
from ops.descriptions import Description, OperationGroup
from ops.docker.calls import blocking
from ops.docker.compose import ComposeError
from ops.errors import Refused
from ops.params import ContainerName, StackName, StrictParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import one_change_per_stack

REMOVE_TIMEOUT = 120
STOP_GRACE = 10


class Params(StrictParams):
    """The stack and the orphaned container (by name or id)."""

    stack: StackName
    container: ContainerName


async def check(params: Params, adapters: Adapters, mutating: bool) -> Params:
    """The container belongs to the stack, and the stack's (valid) files have no service of its name; the handler
    gets its full id, so the container checked is the one removed."""
    stack_configured(params.stack, adapters, mutating)
    info = await container_in_scope(params.container, adapters, mutating)
    if info.stack != params.stack:
        raise Refused(f'{params.container!r} is not a container of stack {params.stack!r}')
    try:
        rendered = await adapters.compose.rendered(
            params.stack, adapters.config.stacks[params.stack].files, adapters.repo_dir
        )
    except ComposeError as err:
        raise Refused(f'the files of stack {params.stack!r} are not valid, nothing was removed: {err}') from err
    declared = rendered.get('services')
    if isinstance(declared, dict) and info.service in declared:
        raise Refused(f'{params.container!r} is service {info.service!r} of the stack files: not an orphan')
    return params.model_copy(update={'container': info.id})


@operation(
    'stack_orphan_remove',
    summary='Remove a container of a stack whose service is no longer in its Compose files',
    params=Params,
    described=Description('Remove orphaned container', OperationGroup.STACKS, 'delete_sweep'),
    # An engine call, not Compose: the docker pool, under the stack's lock.
    supervised=one_change_per_stack(timeout=REMOVE_TIMEOUT, pool='docker'),
    check=check,
)
async def stack_orphan_remove(params: Params, ctx: RunContext) -> Result:
    """Stop (SIGTERM, then SIGKILL after the grace period) and delete; named volumes are kept."""
    engine = ctx.adapters.engine
    ctx.log(f'removing {params.container} (an orphan of {params.stack})')
    async with ctx.adapters.stack_locks.of(params.stack):
        await blocking(lambda: engine.remove(params.container, timeout=STOP_GRACE), timeout=REMOVE_TIMEOUT - 10)
    ctx.log(f'{params.container} removed')
    return {'stack': params.stack, 'container_id': params.container, 'removed': True}
