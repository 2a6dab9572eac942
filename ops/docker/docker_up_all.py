"""docker_up_all: `compose up -d` for the configured stacks, recreating what differs from their files."""

from __future__ import annotations

from ops.descriptions import Description, OperationGroup
from ops.docker.calls import configured_stacks, stacks_in_scope, up_progress
from ops.errors import OperationFailed
from ops.maintenance.known_good import record_replaced, snapshot_stack
from ops.params import StacksParams
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import one_change_per_stack

UP_TIMEOUT = 900


class Params(StacksParams):
    """One stack, or (without) every configured stack in scope."""


@operation(
    'docker_up_all',
    summary='Bring the configured stacks in line with their Compose files (compose up -d)',
    params=Params,
    described=Description(
        'Bring stacks up',
        OperationGroup.STACKS,
        'published_with_changes',
        consequence=(
            '`docker compose up -d` runs for {stacks}: containers whose definition or image changed are '
            'recreated, so their services restart.'
        ),
    ),
    # A second request for the same stacks joins the run under way instead of being refused.
    supervised=one_change_per_stack(timeout=UP_TIMEOUT, on_busy='join'),
    check=configured_stacks,
)
async def docker_up_all(params: Params, ctx: RunContext) -> Result:
    """Stack by stack; the first stack whose `up` fails ends the run with Compose's last output lines."""
    adapters = ctx.adapters
    compose = adapters.compose
    done: dict[str, dict[str, object]] = {}
    for stack in stacks_in_scope(adapters, params.stack, mutating=True):
        if ctx.cancelled.is_set():
            break

        ctx.log(f'== {stack}: compose up -d')
        # An all-stacks run and a one-stack run have different lock keys: this keeps them off the same stack.
        async with adapters.stack_locks.of(stack):
            before = await snapshot_stack(adapters, stack)
            result = await compose.up(
                stack,
                adapters.config.stacks[stack].files,
                adapters.repo_dir,
                on_line=ctx.log,
                on_service_progress=up_progress(ctx, stack, key_prefix=f'{stack}/'),
                timeout=UP_TIMEOUT,
            )
        await record_replaced(before, result, run_id=ctx.run_id)
        if not result.ok:
            why = 'timed out' if result.timed_out else f'exited with {result.returncode}'
            raise OperationFailed(f'compose up of {stack} {why}:\n{result.tail()}')
        done[stack] = {
            'changed': result.changed,
            'services': {service: steps[-1] for service, steps in sorted(result.steps.items())},
        }
        ctx.log(f'== {stack}: {", ".join(result.changed) or "nothing"} changed')
    return {'stacks': done}
