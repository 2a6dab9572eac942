"""A manager on a real SQLite store, with a fresh test-only catalog of small operations for each test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.system import adapters_for
from ops.adapters import Adapters
from ops.config import HomelabConfig
from ops.docker.engine import Engine
from ops.manager import Manager
from ops.store.db import close_store, open_store
from ops.store.owners import OwnerLock
from tests.helpers.practice_catalog import Rehearsal, practice_catalog


@pytest.fixture
def adapters(tmp_path: Path) -> Adapters:
    return adapters_for(
        Engine(f'unix://{tmp_path}/no-engine.sock', timeout=2),
        HomelabConfig(),
        data_dir=tmp_path / 'data',
        repo_dir=tmp_path,
    )


@pytest.fixture
def rehearsal() -> Rehearsal:
    return Rehearsal()


@pytest.fixture
def gates(rehearsal: Rehearsal) -> dict[str, asyncio.Event]:
    """Gates the practice operations wait on, by name ('restart:web', 'up:media', 'busy'): a test opens them."""
    return rehearsal.gates


@pytest.fixture
def calls(rehearsal: Rehearsal) -> dict[str, int]:
    """How often each practice handler ran."""
    return rehearsal.calls


@pytest.fixture
def concurrency(rehearsal: Rehearsal) -> dict[str, int]:
    """How many `test_busy` runs hold a docker slot now, and the most at once."""
    return rehearsal.concurrency


@pytest.fixture
async def manager(tmp_path: Path, adapters: Adapters, rehearsal: Rehearsal) -> AsyncIterator[Manager]:
    await open_store(tmp_path / 'data' / 'homelab.sqlite3')
    owner = OwnerLock(tmp_path / 'data' / 'state' / 'owners')
    mgr = Manager(adapters, owner=owner, registry=practice_catalog(rehearsal), pools={'docker': 2})
    try:
        yield mgr
    finally:
        await mgr.shutdown()
        await asyncio.sleep(0)
        owner.release()
        await close_store()
