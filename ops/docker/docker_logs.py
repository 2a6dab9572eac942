"""docker_logs: the last lines of a container's log, optionally followed live (through the shared log hub)."""

from __future__ import annotations

import asyncio

from pydantic import Field

from ops.checks import resolved_container
from ops.clock import since_timestamp
from ops.descriptions import ContainerButton, Description, OperationGroup
from ops.docker.calls import blocking
from ops.docker.engine import Engine
from ops.docker.loghub import Subscription
from ops.docker.logstream import LogLine
from ops.params import ContainerParams, Since
from ops.registry import Result, operation
from ops.run_context import RunContext
from ops.supervision import reading

FOLLOW_LIMIT = 3600.0


class Params(ContainerParams):
    """Which container, how many earlier lines, whether to follow, and from when on."""

    tail: int = Field(default=200, ge=1, le=10000)
    follow: bool = False
    since: Since | None = None


@operation(
    'docker_logs',
    summary='The log of one container: the last lines, optionally followed live',
    params=Params,
    described=Description(
        'Container log',
        OperationGroup.CONTAINERS,
        'receipt_long',
        button=ContainerButton(label='Save last 200 lines as a run', rank=7, arguments={'tail': 200}),
    ),
    # A followed log ends itself after FOLLOW_LIMIT; the margin lets it end as a success, not a timeout.
    supervised=reading(timeout=FOLLOW_LIMIT + 30),
    check=resolved_container,
    streams=True,
)
async def docker_logs(params: Params, ctx: RunContext) -> Result:
    """Log lines become output lines; a follow ends on cancel, when the container stops, or after an hour."""
    since = since_timestamp(params.since) if params.since else None
    engine = ctx.adapters.engine
    if not params.follow:
        lines = await blocking(read_log, engine, params.container, tail=params.tail, since=since)
        for line in lines:
            ctx.log(line.text)
        return {'container': params.container, 'lines': len(lines), 'followed': False}
    hub = ctx.adapters.loghub
    # Subscribe first, then read the tail: a line written in between is in both and dropped from the live side.
    async with hub.follow(params.container, tail=0) as sub:
        await sub.ready()
        lines = await blocking(read_log, engine, params.container, tail=params.tail, since=since)
        for line in lines:
            ctx.log(line.text)
        last = stamp_key(lines[-1].timestamp) if lines and lines[-1].timestamp else None
        ended, live = await _follow(sub, last, ctx)
    return {
        'container': params.container,
        'lines': len(lines) + live,
        'followed': True,
        'skipped': sub.skipped,
        'ended': ended,
    }


async def _follow(sub: Subscription, last: str | None, ctx: RunContext) -> tuple[str, int]:
    stopper = asyncio.create_task(_stop_when_cancelled(ctx, sub))
    count = 0
    try:
        async with asyncio.timeout(FOLLOW_LIMIT):
            async for line in sub:
                if last is not None and line.timestamp is not None and stamp_key(line.timestamp) <= last:
                    continue
                last = None
                ctx.log(line.text)
                count += 1
    except TimeoutError:
        return f'time limit of {FOLLOW_LIMIT:g} s reached', count
    finally:
        stopper.cancel()
    return ('cancelled' if ctx.cancelled.is_set() else 'the log stream ended (the container stopped)'), count


async def _stop_when_cancelled(ctx: RunContext, sub: Subscription) -> None:
    await ctx.cancelled.wait()
    sub.stop()


def read_log(engine: Engine, container: str, *, tail: int, since: float | None) -> list[LogLine]:
    """The last `tail` lines (from `since` on), read to the end of what the engine has now. Blocking."""
    with engine.logs(container, tail=tail, since=since, timestamps=True) as stream:
        return list(stream)


def stamp_key(timestamp: str) -> str:
    """An RFC 3339 timestamp with nanoseconds that sorts as text (the engine drops trailing zeros)."""
    base, dot, fraction = timestamp.rstrip('Z').partition('.')
    return f'{base}.{fraction.ljust(9, "0") if dot else "0" * 9}'
