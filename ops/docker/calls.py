"""What the docker_* operations share: engine calls off the loop, the stacks in scope, Compose progress."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from ops.adapters import Adapters
from ops.checks import stack_configured, stack_in_scope
from ops.docker.compose import ServiceProgress
from ops.errors import OperationFailed, Refused
from ops.params import StacksParams
from ops.run_context import RunContext

T = TypeVar('T')

READ_TIMEOUT = 30.0
# Steps after which a service has nothing left to do in a `compose up`.
SETTLED = frozenset({'Started', 'Running', 'Healthy', 'Exited', 'Removed', 'Error'})


async def blocking(call: Callable[..., T], *args: Any, timeout: float = READ_TIMEOUT, **kwargs: Any) -> T:
    """Run a blocking engine call in a worker thread; give up (with a clear message) after `timeout` seconds."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(call, *args, **kwargs), timeout=timeout)
    except TimeoutError as err:
        raise OperationFailed(f'the Docker engine did not answer within {timeout:g} s') from err


async def configured_stacks(params: StacksParams, adapters: Adapters, mutating: bool) -> None:
    """The world check of an operation on one stack or all: the stack is configured and in scope (or at least one
    is, without a stack)."""
    stacks_in_scope(adapters, params.stack, mutating)


def stacks_in_scope(adapters: Adapters, stack: str | None, mutating: bool) -> list[str]:
    """The one named stack (configured, in scope), or every configured stack this environment may change."""
    if stack is not None:
        stack_configured(stack, adapters, mutating)
        return [stack]
    names = sorted(adapters.config.stacks)
    if mutating:
        names = [name for name in names if _in_scope(name, adapters)]
    if not names:
        raise Refused('no configured stack is in scope (add [stacks.<name>] to the config)')
    return names


def _in_scope(stack: str, adapters: Adapters) -> bool:
    try:
        stack_in_scope(stack, adapters)
    except Refused:
        return False
    return True


def up_progress(ctx: RunContext, stack: str, *, key_prefix: str) -> Callable[[ServiceProgress], None]:
    """A `compose up` step of a service as the run's progress bar for it: done once the service settled."""

    def progress(step: ServiceProgress) -> None:
        settled = step.status in SETTLED
        ctx.progress(f'{key_prefix}{step.service}', f'{stack} {step.service}', 1 if settled else 0, 1, step.status)

    return progress
