"""Operations that exist only in tests, to exercise supervision without Docker: a fresh catalog for each test."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import Field

from ops.adapters import Adapters
from ops.descriptions import Description, OperationGroup
from ops.errors import Refused
from ops.params import ContainerName, NoParams, StrictParams
from ops.proc import run_process
from ops.registry import Registry, operation
from ops.run_context import RunContext
from ops.supervision import Supervision, one_change_per_container, reading


@dataclass
class Rehearsal:
    """What the practice operations share with their test: gates it opens, calls and concurrency they count."""

    gates: dict[str, asyncio.Event] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    concurrency: dict[str, int] = field(default_factory=lambda: {'now': 0, 'max': 0})


class Echo(StrictParams):
    text: Annotated[str, Field(max_length=100)]
    times: Annotated[int, Field(ge=1, le=5)] = 1


class Target(StrictParams):
    container: ContainerName


async def _only_known(params: Target, adapters: Adapters, mutating: bool) -> None:
    if params.container not in {'web', 'db'}:
        raise Refused(f'no container named {params.container!r}')


class Stack(StrictParams):
    stack: Annotated[str, Field(pattern=r'^[a-z0-9-]+$')]


class Slot(StrictParams):
    n: int


def practice_catalog(rehearsal: Rehearsal) -> Registry:
    """A new catalog of the practice operations, whose handlers wait on and count into `rehearsal`."""
    catalog = Registry()
    gates, calls, concurrency = rehearsal.gates, rehearsal.calls, rehearsal.concurrency

    @operation(
        'test_echo',
        summary='say something',
        params=Echo,
        described=Description('Say something', OperationGroup.CONTAINERS),
        supervised=reading(timeout=5),
        registry=catalog,
    )
    async def echo(params: Echo, ctx: RunContext) -> dict[str, object]:
        for _ in range(params.times):
            ctx.log(params.text)
        return {'said': params.text}

    @operation(
        'test_restart',
        summary='pretend restart',
        params=Target,
        described=Description('Pretend restart', OperationGroup.CONTAINERS),
        supervised=one_change_per_container(timeout=5),
        check=_only_known,
        registry=catalog,
    )
    async def restart(params: Target, ctx: RunContext) -> dict[str, object]:
        calls['test_restart'] = calls.get('test_restart', 0) + 1
        await gates.setdefault(f'restart:{params.container}', asyncio.Event()).wait()
        return {'restarted': params.container}

    @operation(
        'test_up',
        summary='pretend compose up',
        params=Stack,
        described=Description('Pretend compose up', OperationGroup.CONTAINERS),
        supervised=Supervision(
            mutating=True, timeout=5, pool='compose', lock=lambda p: f'stack:{p.stack}', on_busy='join'
        ),
        registry=catalog,
    )
    async def up(params: Stack, ctx: RunContext) -> dict[str, object]:
        calls['test_up'] = calls.get('test_up', 0) + 1
        await gates.setdefault(f'up:{params.stack}', asyncio.Event()).wait()
        return {'up': params.stack}

    @operation(
        'test_busy',
        summary='hold a docker pool slot',
        params=Slot,
        described=Description('Hold a docker pool slot', OperationGroup.CONTAINERS),
        supervised=Supervision(mutating=False, timeout=5, pool='docker'),
        registry=catalog,
    )
    async def busy(params: Slot, ctx: RunContext) -> dict[str, object]:
        concurrency['now'] += 1
        concurrency['max'] = max(concurrency['max'], concurrency['now'])
        try:
            await gates.setdefault('busy', asyncio.Event()).wait()
        finally:
            concurrency['now'] -= 1
        return {'n': params.n}

    @operation(
        'test_hang',
        summary='a child process that never ends',
        params=NoParams,
        described=Description('A child process that never ends', OperationGroup.CONTAINERS),
        supervised=reading(timeout=1),
        registry=catalog,
    )
    async def hang(params: NoParams, ctx: RunContext) -> dict[str, object]:
        # sh starts a grandchild and prints its pid, then both wait forever: the timeout must kill the whole group.
        await run_process(
            ['sh', '-c', 'sleep 600 & echo "child $!"; echo "shell $$"; wait'], timeout=60, on_line=ctx.log
        )
        return {}

    @operation(
        'test_engine',
        summary='list containers',
        params=NoParams,
        described=Description('List containers', OperationGroup.CONTAINERS),
        supervised=reading(timeout=10),
        registry=catalog,
    )
    async def engine(params: NoParams, ctx: RunContext) -> dict[str, object]:
        found = await asyncio.to_thread(ctx.adapters.engine.list_containers)
        return {'containers': len(found)}

    @operation(
        'test_flood',
        summary='more output than is kept',
        params=NoParams,
        described=Description('More output than is kept', OperationGroup.CONTAINERS),
        supervised=reading(timeout=10),
        registry=catalog,
    )
    async def flood(params: NoParams, ctx: RunContext) -> dict[str, object]:
        for i in range(2500):
            ctx.log(f'line {i}')
        ctx.log('x' * 1_000_000)
        return {}

    @operation(
        'test_odd',
        summary='what a remote engine might send',
        params=NoParams,
        described=Description('What a remote engine might send', OperationGroup.CONTAINERS),
        supervised=reading(timeout=10),
        registry=catalog,
    )
    async def odd(params: NoParams, ctx: RunContext) -> dict[str, object]:
        ctx.log('label caf\udce9')  # a lone surrogate, as a remote engine's JSON may carry one
        return {'label': 'caf\udce9', 'size': 2**70, 'ratio': float('nan')}

    return catalog
