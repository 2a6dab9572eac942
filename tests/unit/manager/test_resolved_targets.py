"""A world check that resolves a reference: the handler acts on what was checked, the lock is on it, and the
records keep both what was asked and what was acted on (no engine: a check of the test catalog resolves)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ops.adapters import Adapters
from ops.checks import resolve_container
from ops.descriptions import Description, OperationGroup
from ops.docker.containers import ContainerInfo
from ops.errors import Refused
from ops.manager import Manager
from ops.params import ContainerName, StrictParams
from ops.registry import Registry, operation
from ops.run_context import RunContext
from ops.runs import RunState
from ops.store.db import close_store, open_store
from ops.store.models import AuditEvent, Run
from ops.store.owners import OwnerLock
from ops.supervision import one_change_per_container

WEB_ID = 'a' * 64
# The engine's world of this test: web, and a container NAMED with web's full id.
WORLD = [
    ContainerInfo(id=WEB_ID, name='web', stack=None, service=None, state='running', health=None, image='', status='',
                  created=0),
    ContainerInfo(id='b' * 64, name=WEB_ID, stack=None, service=None, state='running', health=None, image='',
                  status='', created=0),
]  # fmt: skip


class Target(StrictParams):
    container: ContainerName


async def _resolve(params: Target, adapters: Adapters, mutating: bool) -> Target:
    return params.model_copy(update={'container': resolve_container(params.container, WORLD).id})


def resolving_catalog(acted_on: list[str], gate: asyncio.Event) -> Registry:
    """A new catalog of one operation that records what it acted on into `acted_on`, then waits for `gate`."""
    catalog = Registry()

    @operation(
        'test_resolved_restart',
        summary='pretend restart of a resolved container',
        params=Target,
        described=Description('Pretend restart of a resolved container', OperationGroup.CONTAINERS),
        supervised=one_change_per_container(timeout=5, confirm=False),
        check=_resolve,
        registry=catalog,
    )
    async def restart(params: Target, ctx: RunContext) -> dict[str, object]:
        acted_on.append(params.container)
        await gate.wait()
        return {}

    return catalog


@pytest.fixture
def acted_on() -> list[str]:
    """The containers the handler acted on, in order."""
    return []


@pytest.fixture
def gate() -> asyncio.Event:
    """The handler waits for it: a test sets it."""
    return asyncio.Event()


@pytest.fixture
async def manager(
    tmp_path: Path, adapters: Adapters, acted_on: list[str], gate: asyncio.Event
) -> AsyncIterator[Manager]:
    await open_store(tmp_path / 'data' / 'homelab.sqlite3')
    owner = OwnerLock(tmp_path / 'data' / 'state' / 'owners')
    mgr = Manager(adapters, owner=owner, registry=resolving_catalog(acted_on, gate))
    try:
        yield mgr
    finally:
        gate.set()
        await mgr.shutdown()
        owner.release()
        await close_store()


async def test_the_handler_acts_on_the_resolved_id_and_the_records_keep_both(
    manager: Manager, acted_on: list[str], gate: asyncio.Event
) -> None:
    gate.set()
    outcome = await manager.run('test_resolved_restart', {'container': 'web'}, actor='alice', origin='test')
    assert outcome.state is RunState.SUCCEEDED, outcome.error
    assert acted_on == [WEB_ID]
    run = await Run.get(id=outcome.run_id)
    assert run.params == {'container': 'web'}  # what was asked
    assert f"container 'web' is {WEB_ID}" in run.output
    finished = await AuditEvent.get(run_id=outcome.run_id, kind='finished')
    assert finished.detail['acted_on'] == {'container': WEB_ID}  # what was acted on


async def test_a_full_id_means_that_container_even_when_another_is_named_with_it(
    manager: Manager, acted_on: list[str], gate: asyncio.Event
) -> None:
    gate.set()
    outcome = await manager.run('test_resolved_restart', {'container': WEB_ID}, actor='alice', origin='test')
    assert outcome.state is RunState.SUCCEEDED, outcome.error
    assert acted_on == [WEB_ID]


async def test_two_names_for_one_container_share_its_lock(
    manager: Manager, acted_on: list[str], gate: asyncio.Event
) -> None:
    first = await manager.submit('test_resolved_restart', {'container': 'web'}, actor='alice', origin='test')
    second = await manager.run('test_resolved_restart', {'container': WEB_ID[:12]}, actor='bob', origin='test')
    assert second.state is RunState.REJECTED and 'busy' in (second.error or '')
    gate.set()
    assert (await first.outcome()).state is RunState.SUCCEEDED
    assert acted_on == [WEB_ID]


def test_references_resolve_in_the_engines_order() -> None:
    other = ContainerInfo(
        id='a' * 12 + 'c' * 52, name='db', stack=None, service=None, state='running', health=None, image='', status='',
        created=0,
    )  # fmt: skip
    world = [*WORLD, other]
    assert resolve_container(WEB_ID, world).name == 'web'  # an exact full id before a name
    assert resolve_container('web', world).id == WEB_ID
    assert resolve_container('b' * 20, world).name == WEB_ID  # an id prefix, when no name matches
    with pytest.raises(Refused, match='start of 2 container ids'):
        resolve_container('a' * 12, world)
    with pytest.raises(Refused, match='no container named'):
        resolve_container('c' * 11, world)  # shorter than 12: never a prefix
