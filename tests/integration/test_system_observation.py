"""The server's wiring against the real engine: what its observer learns lands in the event journal, world.json and
the checkpoint, and a restart journals what happened while it was stopped exactly once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from app.settings import Settings
from app.system import System
from ops.config import HomelabConfig
from ops.world.checkpoint import checkpoint_path, load_checkpoint
from ops.world.engine_events import record_key
from ops.world.event_journal import EventJournal
from ops.world.world_file import read_world, world_path
from tests.helpers.docker_ops import docker_client, engine_url
from tests.helpers.waiting import wait_for_async


def records(data: Path) -> list[dict[str, Any]]:
    return list(EventJournal.read(data / 'events'))


def actions_of(data: Path, name: str) -> list[str]:
    return [str(r['action']) for r in records(data) if r.get('source') == 'engine' and r.get('name') == name]


def world_state(data: Path, name: str) -> str | None:
    world = read_world(world_path(data))
    found = [c['state'] for c in (world or {}).get('containers', []) if c['name'] == name]
    return found[0] if found else None


def system(tmp_path: Path) -> System:
    settings = Settings(data_dir=tmp_path / 'data', repo_dir=tmp_path, docker_host=engine_url())
    return System(settings, HomelabConfig())


async def test_the_server_keeps_what_its_observer_learns_and_resumes_after_a_stop(tmp_path: Path, box: str) -> None:
    data = tmp_path / 'data'
    first = system(tmp_path)
    await first.start()
    try:
        await wait_for_async(lambda: first.observer.engine_state.reachable, timeout=30, what='the engine')
        docker_client().api.start(box)
        await wait_for_async(lambda: 'start' in actions_of(data, box), timeout=30, what='the start in the journal')
        await wait_for_async(lambda: world_state(data, box) == 'running', timeout=30, what='world.json to show it')
    finally:
        await first.stop()
    kinds = [r.get('kind') for r in records(data) if r.get('source') == 'observer']
    assert 'reconciled' in kinds and 'engine' in kinds
    newest = max(key[0] for key in map(record_key, records(data)) if key is not None)
    checkpoint = load_checkpoint(checkpoint_path(data))
    assert checkpoint is not None and checkpoint.time_nano == newest  # the last flush, and not beyond it

    docker_client().api.stop(box, timeout=1)  # while no server runs
    second = system(tmp_path)
    await second.start()
    try:
        await wait_for_async(lambda: 'die' in actions_of(data, box), timeout=30, what='the missed stop journaled')
        await wait_for_async(lambda: world_state(data, box) == 'exited', timeout=30, what='world.json to show it')
    finally:
        await second.stop()
    counts = Counter(key for key in map(record_key, records(data)) if key is not None)
    assert max(counts.values()) == 1, [key for key, n in counts.items() if n > 1][:5]
    assert actions_of(data, box).count('start') == 1
