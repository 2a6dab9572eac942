"""Rollback in the pages, through NiceGUI's simulated user: the Maintenance page's pins and Release pin, the
Actions page's rollback proposal and "pinned by rollback", the container page's known-good states."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import cast

import docker.errors
import pytest
from nicegui.testing import User

from components.drift_badges import drift_badges
from components.known_good_states import known_good_states
from components.stack_drift import drift_board
from ops.maintenance.overrides import write_override
from ops.maintenance.records import KnownGood, RollbackPin
from ops.store.models import Action, Run
from ops.world.desired import StackWant
from ops.world.supervisor import StackReport
from tests.helpers.docker_ops import BASE_IMAGE, docker_client, unique
from tests.helpers.rig import require_engine

HOSTILE = '<script>alert("x")</script><b>bold</b>'
V1 = 'localhost:5000/homelab-dev/app@sha256:' + '1' * 64
TITLE = 'Roll back app to localhost:5000/homelab-dev/app@sha256:111111111111'


@pytest.fixture
def dev_stack_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """homelab-dev configured on a throwaway repository of its own (nothing here runs Compose)."""
    repo = tmp_path / 'repo'
    repo.mkdir()
    (repo / 'compose.yml').write_text('services:\n  app:\n    image: localhost:5000/homelab-dev/app:stable\n')
    config = tmp_path / 'homelab.toml'
    config.write_text('[stacks.homelab-dev]\nfiles = ["compose.yml"]\n')
    monkeypatch.setenv('HOMELAB_CONFIG', str(config))
    monkeypatch.setenv('HOMELAB_REPO_DIR', str(repo))
    return tmp_path / 'data' / 'overrides' / 'homelab-dev.yml'


async def test_a_pin_is_listed_and_released_by_the_signed_in_user(signed_in_console, dead_engine, dev_stack_config):
    async with signed_in_console(docker_host=dead_engine) as user:
        await RollbackPin.create(
            stack='homelab-dev', service='app', image='localhost:5000/homelab-dev/app:stable', digest=V1,
            known_good_id=4, pinned_by=f'ui:{HOSTILE}',
        )  # fmt: skip
        write_override(dev_stack_config, {'app': V1})
        await user.open('/maintenance')
        await user.should_see('Pinned by rollback')
        await user.should_see('homelab-dev / app')
        await user.should_see(f'runs {V1}')
        await user.should_see(f'pinned by ui:{HOSTILE}', retries=5)  # as text, never as markup
        user.find(marker='release-homelab-dev-app').click()
        await user.should_see('Release the pin of homelab-dev / app?')
        await user.should_see('drift check then proposes the image its stack files name')
        user.find(marker='confirm-yes').click()
        await user.should_see('Nothing is pinned.', retries=100)
        pin = await RollbackPin.get(stack='homelab-dev', service='app')
        assert pin.released_by == 'ui:admin' and pin.released_at is not None
        assert not dev_stack_config.exists()
        run = await Run.get(operation='stack_pin_release')
        assert run.actor == 'ui:admin' and run.origin == 'ui' and run.state == 'succeeded'


async def test_a_pin_of_a_service_gone_from_the_files_is_shown_stale_and_released(
    signed_in_console, dead_engine, dev_stack_config
):
    async with signed_in_console(docker_host=dead_engine) as user:
        await RollbackPin.create(stack='homelab-dev', service='old', image='x', digest=V1, pinned_by='ui:admin')
        await user.open('/maintenance')
        await user.should_see('homelab-dev / old')
        await user.should_see('its service is no longer in the files', retries=20)
        user.find(marker='release-homelab-dev-old').click()
        await user.should_see('Release the pin of homelab-dev / old?')
        user.find(marker='confirm-yes').click()
        await user.should_see('Nothing is pinned.', retries=100)
        assert not await RollbackPin.filter(released_at__isnull=True).exists()


async def test_cancel_releases_nothing(signed_in_console, dead_engine, dev_stack_config):
    async with signed_in_console(docker_host=dead_engine) as user:
        await RollbackPin.create(stack='homelab-dev', service='app', image='x', digest=V1, pinned_by='ui:admin')
        await user.open('/maintenance')
        user.find(marker='release-homelab-dev-app').click()
        await user.should_see('Release the pin of homelab-dev / app?')
        user.find(marker='confirm-no').click()
        await user.should_see('homelab-dev / app')
        assert await RollbackPin.filter(released_at__isnull=True).count() == 1
        assert not await Run.exists()


async def test_the_rollback_proposal_and_the_pin_read_well_on_the_actions_page(
    signed_in_console, dead_engine, dev_stack_config
) -> None:
    async with signed_in_console(docker_host=dead_engine) as user:
        await Action.create(
            stack='homelab-dev', service='app', container='homelab-dev-app-1', kind='rollback',
            drift_key='homelab-dev:rollback:app:kg4', title=TITLE,
            detail=f'homelab-dev-app-1 turned unhealthy {HOSTILE}', operation='stack_rollback',
            params={'stack': 'homelab-dev', 'service': 'app', 'known_good': 4},
            plan={'steps': ['Write the override', 'compose up -d app'], 'dry_run': [],
                  'diff': [{'setting': 'image', 'running': 'v2', 'wanted': V1}],
                  'override': f'services:\n  "app":\n    image: "{V1}"\n'},
            state='pending',
        )  # fmt: skip
        await user.open('/actions')
        await user.should_see(TITLE, retries=50)
        await user.should_see(f'homelab-dev-app-1 turned unhealthy {HOSTILE}')
        await user.should_see('Override file it writes (in the data directory, never the repository)')
        (board,) = user.find(drift_board).elements
        supervisor = cast(drift_board, board).supervisor
        want = StackWant(name='homelab-dev', files=('compose.yml',))
        supervisor.reports = {
            'homelab-dev': StackReport(name='homelab-dev', want=want, pinned=(('app', V1),), checked_at=time.time())
        }
        supervisor.changed.emit(None)
        assert _badges(user, 'homelab-dev') == {'in-line', 'pinned:app'}
        await user.should_see(f'runs {V1}; its update waits until the pin is released')
        await user.should_see('Release pin…')


async def test_the_container_page_offers_its_services_known_good_states(
    signed_in_console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_engine()
    stack = unique()
    config = tmp_path / 'homelab.toml'
    config.write_text(f'[stacks.{stack}]\nfiles = ["compose.yml"]\n')
    monkeypatch.setenv('HOMELAB_CONFIG', str(config))
    name = f'{stack}-app-1'
    client = docker_client()
    labels = {'com.docker.compose.project': stack, 'com.docker.compose.service': 'app', 'homelab.test': 'true'}
    client.api.create_container(BASE_IMAGE, ['sleep', '3600'], name=name, labels=labels)
    try:
        async with signed_in_console() as user:
            for number in range(7):
                await KnownGood.create(
                    stack=stack, service='app', container_name=name, image=f'app:{number}',
                    digest=f'localhost:5000/app@sha256:{number}' + '0' * 63, image_id='sha256:' + 'a' * 64,
                    config_hash='f' * 64, healthy=number != 6, run_id=number,
                )  # fmt: skip
            newest = await KnownGood.get(run_id=5)
            await RollbackPin.create(stack=stack, service='app', image='app:6', digest=newest.digest,
                                     known_good_id=newest.id, pinned_by='ui:admin')  # fmt: skip
            await user.open(f'/containers/{name}')
            await user.should_see('Known-good states', retries=50)
            await user.should_see('what recreates of app replaced while it ran well (last 5)')
            await user.should_see('pinned to this')
            (card,) = user.find(known_good_states).elements
            shown = {int(e.props['data-known-good']) for e in card.descendants() if 'data-known-good' in e.props}
            runs = {(await KnownGood.get(id=i)).run_id for i in shown}
            assert runs == {5, 4, 3, 2, 1}  # the last 5 that ran well; 6 was failing when replaced
            oldest = await KnownGood.get(run_id=1)
            user.find(marker=f'roll-back-{oldest.id}').click()
            await user.should_see(f'Roll back {stack} / app to localhost:5000/app@sha256:100000000000?')
            user.find(marker='confirm-no').click()
            await user.should_not_see(f'Roll back {stack} / app to localhost:5000/app@sha256:100000000000?')
            assert not await Run.exists()
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_container(name, force=True)
        client.close()


def _badges(user: User, stack: str) -> set[str]:
    found = set()
    for element in user.find(drift_badges).elements:
        if cast(drift_badges, element).stack == stack:
            found |= {str(b.props['data-drift']) for b in element.descendants() if 'data-drift' in b.props}
    return found
