"""A rollback that fails, is refused by Compose or is cancelled leaves the service pinned as it was before the run:
its earlier pin active again and the override saying so."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from app.system import adapters_for
from ops.adapters import Adapters
from ops.catalog import catalog
from ops.config import HomelabConfig, StackConfig
from ops.docker.compose import ComposeError, UpResult
from ops.docker.engine import Engine
from ops.errors import OperationFailed
from ops.maintenance import stack_rollback
from ops.maintenance.known_good import ServiceState, known_good
from ops.maintenance.pins import active_pins, sync_override
from ops.maintenance.records import KnownGood, RollbackPin
from ops.run_context import RunContext

A = 'localhost:5000/homelab-dev/app@sha256:' + 'aa' * 32
B = 'localhost:5000/homelab-dev/app@sha256:' + 'bb' * 32

FakeUp = Callable[..., Coroutine[Any, Any, UpResult]]


@pytest.fixture
def adapters(tmp_path: Path) -> Adapters:
    repo = tmp_path / 'repo'
    repo.mkdir()
    (repo / 'compose.yml').write_text('services:\n  app:\n    image: app:2\n  db:\n    image: db:16\n')
    config = HomelabConfig(stacks={'media': StackConfig(files=['compose.yml'])})
    return adapters_for(Engine('unix:///nonexistent.sock'), config, data_dir=tmp_path, repo_dir=repo, env='prod')


async def _pinned_to_a_and_state_b(adapters: Adapters) -> tuple[RollbackPin, KnownGood]:
    pin = await RollbackPin.create(stack='media', service='app', image='app:2', digest=A, pinned_by='ui:admin')
    await sync_override(adapters, 'media')
    state = await KnownGood.create(
        stack='media', service='app', container_name='media-app-1', image='app:1', digest=B, image_id='sha256:b',
        config_hash='f' * 64,
    )  # fmt: skip
    return pin, state


async def _run(adapters: Adapters, state: KnownGood, up: FakeUp) -> asyncio.Task[Any]:
    adapters.compose.up = up  # type: ignore[method-assign]
    spec = catalog().get('stack_rollback')
    assert spec is not None
    params = spec.params(stack='media', service='app', known_good=state.id)
    ctx = RunContext(run_id=7, adapters=adapters, actor='ui:admin')
    return asyncio.create_task(spec.handler(params, ctx))


async def _still_pinned_to_a(adapters: Adapters, pin: RollbackPin) -> None:
    assert [(p.id, p.digest) for p in await active_pins('media')] == [(pin.id, A)]
    path = adapters.compose.override_path('media')
    assert path is not None
    assert A in path.read_text() and B not in path.read_text()


def _failed(project: str, *args: Any, **kwargs: Any) -> UpResult:
    return UpResult(project=project, ok=False, returncode=1, timed_out=False, lines=('pull access denied',))


async def test_a_failed_up_puts_the_earlier_pin_back(store: None, adapters: Adapters) -> None:
    pin, state = await _pinned_to_a_and_state_b(adapters)

    async def up(project: str, *args: Any, **kwargs: Any) -> UpResult:
        path = adapters.compose.override_path('media')
        assert path is not None and B in path.read_text()  # the up ran with the new pin
        return _failed(project)

    with pytest.raises(OperationFailed, match='exited with 1'):
        await await_task(await _run(adapters, state, up))
    await _still_pinned_to_a(adapters, pin)


async def test_compose_refusing_the_stack_puts_the_earlier_pin_back(store: None, adapters: Adapters) -> None:
    pin, state = await _pinned_to_a_and_state_b(adapters)

    async def up(project: str, *args: Any, **kwargs: Any) -> UpResult:
        raise ComposeError('compose could not be run')

    with pytest.raises(ComposeError):
        await await_task(await _run(adapters, state, up))
    await _still_pinned_to_a(adapters, pin)


async def test_a_cancelled_rollback_puts_the_earlier_pin_back(store: None, adapters: Adapters) -> None:
    pin, state = await _pinned_to_a_and_state_b(adapters)
    started = asyncio.Event()

    async def up(project: str, *args: Any, **kwargs: Any) -> UpResult:
        started.set()
        await asyncio.Event().wait()  # never ends: the run's deadline cancels it
        raise AssertionError('not reached')

    task = await _run(adapters, state, up)
    await asyncio.wait_for(started.wait(), timeout=10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _still_pinned_to_a(adapters, pin)


async def test_a_first_rollback_that_fails_leaves_the_service_unpinned(store: None, adapters: Adapters) -> None:
    _, state = await _pinned_to_a_and_state_b(adapters)
    await RollbackPin.filter(service='app').update(released_at=state.recorded_at, released_by='ui:admin')
    await sync_override(adapters, 'media')

    async def up(project: str, *args: Any, **kwargs: Any) -> UpResult:
        return _failed(project)

    with pytest.raises(OperationFailed):
        await await_task(await _run(adapters, state, up))
    assert await active_pins('media') == []
    path = adapters.compose.override_path('media')
    assert path is not None and not path.exists()


def test_compose_gives_up_well_before_the_run_is_cancelled() -> None:
    spec = catalog().get('stack_rollback')
    assert spec is not None
    assert spec.timeout - stack_rollback.UP_TIMEOUT >= 120  # time left to put the earlier pin back


async def await_task(task: asyncio.Task[Any]) -> Any:
    return await asyncio.wait_for(task, timeout=30)


async def test_what_a_rollback_replaces_is_never_offered_back_as_known_good(
    store: None, adapters: Adapters, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, state = await _pinned_to_a_and_state_b(adapters)
    failing = ServiceState(
        stack='media', service='app', container_name='media-app-1', image='app:2', digest=A, image_id='sha256:a',
        config_hash='e' * 64, settings={}, healthy=True,  # between two deaths it looked fine
    )  # fmt: skip

    async def snapshot(adapters: Adapters, stack: str) -> dict[str, ServiceState]:
        return {'app': failing}

    async def up(project: str, *args: Any, **kwargs: Any) -> UpResult:
        return UpResult(
            project=project, ok=True, returncode=0, timed_out=False, lines=(), steps={'app': ('Recreated',)}
        )

    monkeypatch.setattr(stack_rollback, 'snapshot_stack', snapshot)
    result = await await_task(await _run(adapters, state, up))
    assert result['digest'] == B
    replaced = await KnownGood.get(stack='media', service='app', digest=A)
    assert not replaced.healthy and replaced.run_id == 7
    assert [row.id for row in await known_good('media', 'app', limit=5)] == [state.id]
