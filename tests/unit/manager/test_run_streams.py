"""Each accepted run has its own stream of state changes, lines and progress: a view follows one run, not all."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from typing import Any

from ops.manager import Manager, RunHandle
from ops.registry import Registry
from ops.runs import RunState, RunUpdate


async def test_each_run_streams_only_its_own_lines_and_states_until_it_ends(manager: Manager) -> None:
    heard: dict[int, list[str]] = {}
    states: dict[int, list[RunState]] = {}

    async def submit(text: str, times: int) -> RunHandle:
        handle = await manager.submit('test_echo', {'text': text, 'times': times}, actor='t', origin='test')
        stream = manager.stream(handle.run_id)  # as a view does, right after the submit: the run starts after this
        assert stream is not None
        stream.line.subscribe(heard.setdefault(handle.run_id, []).append)
        stream.changed.subscribe(lambda update: _note(states.setdefault(handle.run_id, []), update))
        return handle

    first = await submit('one', 2)
    second = await submit('two', 3)

    assert (await first.outcome()).succeeded and (await second.outcome()).succeeded
    assert heard == {first.run_id: ['one', 'one'], second.run_id: ['two', 'two', 'two']}
    assert states == {run_id: [RunState.RUNNING, RunState.SUCCEEDED] for run_id in states}
    assert manager.stream(first.run_id) is None and manager.stream(second.run_id) is None  # ended: let go


async def test_a_refused_run_has_no_stream_and_a_joined_one_ends_on_its_own(
    manager: Manager, gates: dict[str, asyncio.Event]
) -> None:
    refused = await manager.submit('test_echo', {'text': 'x' * 101}, actor='t', origin='test')
    assert (await refused.outcome()).state is RunState.REJECTED
    assert manager.stream(refused.run_id) is None

    holder = await manager.submit('test_up', {'stack': 'media'}, actor='t', origin='test')
    rider = await manager.submit('test_up', {'stack': 'media'}, actor='u', origin='test')
    stream = manager.stream(rider.run_id)
    assert stream is not None
    ended: list[RunState] = []
    stream.changed.subscribe(lambda update: ended.append(update.state))
    gates.setdefault('up:media', asyncio.Event()).set()
    assert (await holder.outcome()).succeeded and (await rider.outcome()).succeeded
    assert ended == [RunState.SUCCEEDED]


def _note(into: list[RunState], update: RunUpdate) -> None:
    into.append(update.state)


async def test_a_submit_cancelled_before_its_run_starts_leaves_no_stream(manager: Manager) -> None:
    """The person's page goes away while the world check is still waiting (the engine is slow): nothing is left."""
    checking = asyncio.Event()

    async def slow_check(params: Any, adapters: Any, mutating: bool) -> None:
        checking.set()
        await asyncio.Event().wait()  # the engine never answers

    spec = manager.registry.get('test_restart')
    assert spec is not None
    slow = Registry()
    slow.add(dataclasses.replace(spec, check=slow_check))
    manager.registry = slow
    submit = asyncio.create_task(manager.submit('test_restart', {'container': 'web'}, actor='t', origin='test'))
    await asyncio.wait_for(checking.wait(), timeout=5)
    run_id = max(manager._streams)  # the run accepted a moment ago: its stream exists while the check waits
    submit.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await submit
    assert manager.stream(run_id) is None
