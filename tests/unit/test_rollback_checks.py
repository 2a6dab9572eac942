"""The world checks of stack_rollback and stack_pin_release: a known-good state of another service, or a service that
is not pinned, is refused before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.system import adapters_for
from ops.adapters import Adapters
from ops.catalog import catalog
from ops.config import HomelabConfig, StackConfig
from ops.docker.engine import Engine
from ops.errors import Refused
from ops.maintenance.records import KnownGood, RollbackPin

V1 = 'localhost:5000/homelab-dev/app@sha256:' + '1' * 64


@pytest.fixture
def adapters(tmp_path: Path) -> Adapters:
    repo = tmp_path / 'repo'
    repo.mkdir()
    (repo / 'compose.yml').write_text('services:\n  app:\n    image: app:2\n  db:\n    image: db:16\n')
    config = HomelabConfig(stacks={'media': StackConfig(files=['compose.yml'])})
    return adapters_for(Engine('unix:///nonexistent.sock'), config, data_dir=tmp_path, repo_dir=repo, env='prod')


async def _check(adapters: Adapters, operation: str, **arguments: object) -> None:
    spec = catalog().get(operation)
    assert spec is not None and spec.check is not None and spec.mutating and spec.confirm
    await spec.check(spec.params(**arguments), adapters, True)


async def _state(service: str) -> KnownGood:
    return await KnownGood.create(
        stack='media', service=service, container_name=f'media-{service}-1', image='x', digest=V1, image_id='sha256:a',
        config_hash='f' * 64,
    )  # fmt: skip


async def test_a_rollback_goes_only_to_a_state_of_that_stacks_service(store: None, adapters: Adapters) -> None:
    app, db = await _state('app'), await _state('db')
    await _check(adapters, 'stack_rollback', stack='media', service='app', known_good=app.id)
    with pytest.raises(Refused, match=f'no known-good state #{db.id} of media/app'):
        await _check(adapters, 'stack_rollback', stack='media', service='app', known_good=db.id)
    with pytest.raises(Refused, match='no known-good state #999'):
        await _check(adapters, 'stack_rollback', stack='media', service='app', known_good=999)
    with pytest.raises(Refused, match='has no service'):
        await _check(adapters, 'stack_rollback', stack='media', service='web', known_good=app.id)
    with pytest.raises(Refused, match='not configured'):
        await _check(adapters, 'stack_rollback', stack='other', service='app', known_good=app.id)


async def test_only_a_pinned_service_can_be_released(store: None, adapters: Adapters) -> None:
    with pytest.raises(Refused, match='media/app is not pinned by a rollback'):
        await _check(adapters, 'stack_pin_release', stack='media', service='app')
    await RollbackPin.create(stack='media', service='app', image='app:2', digest=V1, pinned_by='ui:admin')
    await _check(adapters, 'stack_pin_release', stack='media', service='app')
