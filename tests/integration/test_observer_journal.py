"""The observer's journal, checkpoint and world.json against the real engine: outages, replays, rebuilds.

The engine keeps only its newest 256 events (of every kind; Docker 20.10 `eventsLimit`) for a `since=` resume,
and the dev stack's healthchecks alone make about 3-4 events a second. So an outage the engine can fully replay
is short; a longer one must still end in the exact world (reconciliation), with a `gap` record in the journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from app.system import keep_observations
from ops.clock import docker_time
from ops.docker.engine import Engine
from ops.world.checkpoint import CheckpointWriter, checkpoint_path, load_checkpoint, resume_point
from ops.world.engine_events import event_key, journaled, record_key
from ops.world.event_journal import EventJournal
from ops.world.observer import Observer
from ops.world.world_file import WorldFileWriter, comparable, read_world, world_path
from tests.helpers.docker_ops import BASE_IMAGE, docker_client, unique
from tests.helpers.rig import require_dev_stack
from tests.helpers.waiting import wait_for_async

TEST_LABEL = 'homelab.test.observer-journal'


def engine() -> Engine:
    return Engine(os.environ.get('DOCKER_HOST') or None)


def engine_states() -> dict[str, str]:
    """`docker ps -a`: every container id with its state."""
    return {c['Id']: c['State'] for c in docker_client().api.containers(all=True)}


def observer_states(obs: Observer) -> dict[str, str]:
    return {info.id: info.state for info in obs.containers.values()}


def file_states(data_dir: Path) -> dict[str, str] | None:
    world = read_world(world_path(data_dir))
    return None if world is None else {c['id']: c['state'] for c in world['containers']}


def journal_records(data_dir: Path) -> list[dict[str, Any]]:
    return list(EventJournal.read(data_dir / 'events'))


def journaled_keys(data_dir: Path) -> list[tuple[int, str, str]]:
    return [key for key in map(record_key, journal_records(data_dir)) if key is not None]


def engine_events(since_nano: int, until_nano: int) -> list[dict[str, Any]]:
    stream = engine().events(since=docker_time(since_nano), until=docker_time(until_nano))
    try:
        return list(stream)
    finally:
        stream.close()


class Running:
    """One observer on a data directory, run as a task, with its journal, world.json and checkpoint wired as the
    server wires them."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.observer = Observer(engine(), retry_min=0.2, retry_max=1.0)
        self.journal = EventJournal(data_dir / 'events')
        self.world_file = WorldFileWriter(world_path(data_dir), self.observer.world)
        keep_observations(self.observer, self.journal, self.world_file)
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        resume = await asyncio.to_thread(resume_point, self.data_dir, self.journal.directory)
        checkpoints = CheckpointWriter(
            checkpoint_path(self.data_dir), self.journal, start=resume.time_nano if resume else None
        )
        keepers = [asyncio.create_task(self.journal.run()), asyncio.create_task(self.world_file.run())]
        try:
            await self.observer.run(resume)
        finally:
            for task in keepers:
                task.cancel()
            await asyncio.gather(*keepers, return_exceptions=True)
            await self.world_file.close()
            await self.journal.close()
            await checkpoints.close()

    async def stop(self) -> None:
        self.observer.stop()
        await asyncio.wait_for(self.task, timeout=20)

    async def settled(self) -> None:
        """The observer's world, and its world.json, equal `docker ps -a`."""
        obs = self.observer
        await wait_for_async(lambda: obs.engine_state.reachable, timeout=30, what='the first reconciliation')
        await wait_for_async(
            lambda: observer_states(obs) == engine_states(), timeout=90, what='the observed world to equal docker ps -a'
        )
        await wait_for_async(
            lambda: file_states(self.data_dir) == engine_states(), timeout=30, what='world.json to equal docker ps -a'
        )


@pytest.fixture
async def running() -> AsyncIterator[list[Running]]:
    require_dev_stack()
    started: list[Running] = []
    try:
        yield started
    finally:
        for item in started:
            if not item.task.done():
                await item.stop()


@pytest.fixture
def boxes() -> Iterator[list[str]]:
    """Names of throwaway busybox containers the test makes; all removed afterwards."""
    names: list[str] = []
    yield names
    client = docker_client()
    for name in names:
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_container(name, force=True)
    for leftover in client.api.containers(all=True, filters={'label': TEST_LABEL}):
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_container(leftover['Id'], force=True)


def new_box(boxes: list[str]) -> str:
    name = unique()
    boxes.append(name)
    client = docker_client()
    client.api.create_container(
        BASE_IMAGE,
        ['sleep', '3600'],
        name=name,
        labels={TEST_LABEL: 'true', 'homelab.test': 'true'},
        host_config=client.api.create_host_config(init=True),
    )
    client.api.start(name)
    return name


def churn(boxes: list[str], rounds: int) -> None:
    """Pause/unpause every box `rounds` times (2 events each), remove one box and make a new one."""
    api = docker_client().api
    active = boxes[-3:]
    for _ in range(rounds):
        for name in active:
            api.pause(name)
            api.unpause(name)
    api.remove_container(active[0], force=True)  # kill, die, destroy
    new_box(boxes)  # create, start: the active three are now the newest three


async def start_and_checkpoint(running: list[Running], data_dir: Path, boxes: list[str]) -> tuple[Running, int]:
    """An observer that saw our boxes start (so it has journaled events and a checkpoint), settled."""
    first = Running(data_dir)
    running.append(first)
    await wait_for_async(lambda: first.observer.engine_state.reachable, timeout=30, what='reachable')
    for _ in range(3):
        await asyncio.to_thread(new_box, boxes)
    await first.settled()
    newest = max(key[0] for key in journaled_keys(data_dir))
    await wait_for_async(
        lambda: (cp := load_checkpoint(checkpoint_path(data_dir))) is not None and cp.time_nano >= newest,
        timeout=15,
        what='the checkpoint to reach the journaled events',
    )
    return first, newest


async def test_events_during_a_short_outage_are_journaled_once_on_restart(
    tmp_path: Path, running: list[Running], boxes: list[str]
) -> None:
    data_dir = tmp_path / 'data'
    first, _ = await start_and_checkpoint(running, data_dir, boxes)
    await first.stop()
    checkpoint = load_checkpoint(checkpoint_path(data_dir))
    assert checkpoint is not None
    before = Counter(journaled_keys(data_dir))

    # ~130 events of our own while no observer runs: within what the engine can replay (see the module doc).
    await asyncio.to_thread(churn, boxes, 20)
    outage_end = time.time_ns()

    second = Running(data_dir)
    running.append(second)
    await second.settled()
    happened = [e for e in engine_events(checkpoint.time_nano + 1, outage_end) if journaled(str(e.get('Action')))]
    ours = [e for e in happened if (e.get('Actor', {}).get('Attributes') or {}).get(TEST_LABEL)]
    assert len(ours) >= 20 * 3 * 2 + 5
    expected = {event_key(e) for e in happened}
    await wait_for_async(
        lambda: expected <= set(journaled_keys(data_dir)), timeout=15, what='every outage event in the journal'
    )
    counts = Counter(journaled_keys(data_dir))
    assert max(counts.values()) == 1, [key for key, n in counts.items() if n > 1][:5]
    assert set(before) <= set(counts)
    assert not [r for r in journal_records(data_dir) if r.get('kind') == 'gap']
    await second.stop()
    # The checkpoint moved on to the newest journaled engine event, and not past it.
    newest = max(key[0] for key in journaled_keys(data_dir))
    moved = load_checkpoint(checkpoint_path(data_dir))
    assert moved is not None and moved.time_nano == newest


async def test_a_replay_burst_beyond_the_engine_memory_ends_in_the_exact_world(
    tmp_path: Path, running: list[Running], boxes: list[str]
) -> None:
    data_dir = tmp_path / 'data'
    first, _ = await start_and_checkpoint(running, data_dir, boxes)
    await first.stop()
    checkpoint = load_checkpoint(checkpoint_path(data_dir))
    assert checkpoint is not None

    # 300+ container events while stopped: more than the engine keeps for a replay.
    await asyncio.to_thread(churn, boxes, 55)
    await asyncio.to_thread(churn, boxes, 1)
    outage_end = time.time_ns()

    second = Running(data_dir)
    running.append(second)
    await second.settled()
    still_held = [e for e in engine_events(checkpoint.time_nano + 1, outage_end) if journaled(str(e.get('Action')))]
    await wait_for_async(
        lambda: {event_key(e) for e in still_held} <= set(journaled_keys(data_dir)),
        timeout=15,
        what='every event the engine still holds in the journal',
    )
    counts = Counter(journaled_keys(data_dir))
    assert max(counts.values()) == 1, [key for key, n in counts.items() if n > 1][:5]
    ours_held = [e for e in still_held if (e.get('Actor', {}).get('Attributes') or {}).get(TEST_LABEL)]
    ours_journaled = [
        r
        for r in journal_records(data_dir)
        if r.get('source') == 'engine' and r['time_nano'] > checkpoint.time_nano and r.get('name') in boxes
    ]
    # The observer replayed at its start, when the engine still held a little more than it does now.
    assert len(ours_journaled) >= len(ours_held) > 0
    if len(still_held) < 330:  # the engine forgot some: the journal says so instead of pretending
        gaps = [r for r in journal_records(data_dir) if r.get('kind') == 'gap']
        assert gaps and gaps[0]['after_time_nano'] == checkpoint.time_nano


async def test_deleting_the_checkpoint_rebuilds_the_same_world(
    tmp_path: Path, running: list[Running], boxes: list[str]
) -> None:
    data_dir = tmp_path / 'data'
    first = Running(data_dir)
    running.append(first)
    await asyncio.to_thread(new_box, boxes)
    await first.settled()
    await first.stop()
    previous = read_world(world_path(data_dir))
    assert previous is not None
    stopped_at = time.time_ns()
    checkpoint_path(data_dir).unlink()

    second = Running(data_dir)
    running.append(second)
    before = previous['generated_at']
    await wait_for_async(
        lambda: (w := read_world(world_path(data_dir))) is not None and w['generated_at'] != before,
        timeout=30,
        what='the new observer to write world.json',
    )
    await second.settled()
    rebuilt = read_world(world_path(data_dir))
    assert rebuilt is not None and rebuilt['source'] == 'engine'
    changed = {str(e.get('id')) for e in engine_events(stopped_at, time.time_ns()) if journaled(str(e.get('Action')))}
    if not changed:  # nothing happened in between: the rebuilt world is the same world
        assert comparable(rebuilt) == comparable(previous)
    else:  # the engine is shared: everything nothing happened to is the same
        assert [c for c in rebuilt['containers'] if c['id'] not in changed] == [
            c for c in previous['containers'] if c['id'] not in changed
        ]
