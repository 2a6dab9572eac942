"""Last words against the real engine: a container removed with `rm -f` (the engine refuses to read the log of a
container being removed) and a crash under a restart policy keep the end of their log, one record per death."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import docker.errors
import pytest

from ops.config import MaintenanceConfig
from ops.docker.engine import Engine
from ops.maintenance.last_words import LastWordsKeeper
from ops.maintenance.last_words_store import last_words_of
from ops.maintenance.records import LastWords
from ops.store.db import close_store, open_store
from ops.world.observer import Observer
from tests.helpers.docker_ops import BASE_IMAGE, docker_client, engine_url, unique
from tests.helpers.rig import require_engine
from tests.helpers.waiting import wait_for_async

FIVE_THOUSAND = 'i=1; while [ $i -le 5000 ]; do echo "line $i of the log"; i=$((i+1)); done; exec sleep 3600'


@pytest.fixture
async def keeper(tmp_path: Path) -> AsyncIterator[LastWordsKeeper]:
    require_engine()
    await open_store(tmp_path / 'h.sqlite3')
    engine = Engine(engine_url())
    observer = Observer(engine)
    keeper = LastWordsKeeper(observer, engine, MaintenanceConfig())
    try:
        tasks = [asyncio.create_task(observer.run()), asyncio.create_task(keeper.run())]
        try:
            await wait_for_async(lambda: observer.engine_state.reachable, timeout=30, what='the engine')
            yield keeper
        finally:
            observer.stop()
            keeper.stop()
            await asyncio.wait_for(asyncio.gather(*tasks), 20)
    finally:
        await close_store()


async def test_a_container_removed_with_rm_f_keeps_its_last_thousand_lines(keeper: LastWordsKeeper) -> None:
    client = docker_client()
    name = unique('hl-lastwords')
    container = client.containers.run(
        BASE_IMAGE, ['sh', '-c', FIVE_THOUSAND], name=name, detach=True, labels={'homelab.test': 'true'}
    )
    try:
        await wait_for_async(lambda: b'line 5000 ' in container.logs(tail=1), timeout=30, what='5000 lines printed')
        await wait_for_async(lambda: keeper.following_of(container.id), timeout=30, what='its log followed')
        container.remove(force=True)
        row = await wait_for_async(lambda: last_words_of(name), timeout=30, what='its last words')
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)
        client.close()
    lines = row.lines.split('\n')
    assert (row.line_count, len(lines), row.exit_code) == (1000, 1000, 137)
    assert (lines[0], lines[-1]) == ('line 4001 of the log', 'line 5000 of the log')
    assert 'line 4000 of the log' not in lines
    assert await LastWords.filter(name=name).count() == 1
