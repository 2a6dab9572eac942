"""The container page through NiceGUI's simulated user, against the real engine and the dev stack."""

from __future__ import annotations

import contextlib
import uuid
from urllib.parse import quote

import docker.errors

from components.container_badges import container_badges
from components.log_pane import log_pane
from ops.masking import HIDDEN
from ops.store.models import Run
from tests.helpers.docker_ops import BASE_IMAGE, docker_client, unique
from tests.helpers.rig import require_dev_stack, require_engine
from tests.helpers.waiting import wait_for_async


async def test_the_page_summarises_a_container_and_follows_its_log(signed_in_console) -> None:
    require_dev_stack()
    async with signed_in_console() as user:
        await user.open('/containers/homelab-dev-sick-1')
        await user.should_see('homelab-dev-sick-1')
        await user.should_see('busybox:1.36')
        await user.should_see('Health check')
        await user.should_see('dependency unreachable', retries=50)  # the output of the last probes
        await user.should_see('unhealthy', retries=50)
        await user.should_see('Restart')
        await user.should_see('Pull image')
        pane = next(iter(user.find(log_pane).elements))
        assert isinstance(pane, log_pane)
        await wait_for_async(lambda: 'sick: up' in pane.visible_text(), timeout=20, what='the log of sick')


async def test_a_restart_asks_first_and_runs_through_the_manager_as_the_signed_in_user(signed_in_console) -> None:
    require_dev_stack()
    async with signed_in_console() as user:
        await user.open('/containers/homelab-dev-web-1')
        await user.should_see('Restart')
        user.find(marker='docker_restart').click()
        await user.should_see('This changes the host')
        user.find(marker='confirm-no').click()
        await user.should_not_see('This changes the host')
        assert await Run.filter(operation='docker_restart').count() == 0
        user.find(marker='docker_restart').click()
        await user.should_see('This changes the host')
        user.find(marker='confirm-yes').click()
        await user.should_see('succeeded', retries=300)
        run = await Run.get(operation='docker_restart')
        assert (run.actor, run.origin, run.state) == ('ui:admin', 'ui', 'succeeded')


async def test_an_unknown_or_hostile_name_says_no_such_container(signed_in_console) -> None:
    require_dev_stack()
    async with signed_in_console() as user:
        await user.open('/containers/no-such-thing-here')
        await user.should_see('No such container')
        await user.should_see('no-such-thing-here')
        await user.open('/containers/' + quote('<img src=x onerror=alert(1)>'))
        await user.should_see('No such container')
        await user.should_see('<img src=x onerror=alert(1)>')  # shown as text


async def test_the_environment_shows_secret_names_with_their_values_masked(signed_in_console) -> None:
    require_engine()
    secret = f'hl-page-secret-{uuid.uuid4().hex}'
    name = unique()
    client = docker_client()
    client.containers.create(
        BASE_IMAGE,
        ['sleep', '60'],
        name=name,
        environment={'DB_PASSWORD': secret, 'LEVEL': 'two', 'DATABASE_URL': f'postgres://app:{secret}@db/app'},
        labels={'homelab.test': 'true'},
    )
    try:
        async with signed_in_console() as user:
            await user.open(f'/containers/{name}')
            await user.should_see('Environment')
            await user.should_see('DB_PASSWORD')
            await user.should_see('LEVEL')
            await user.should_see('two')
            await user.should_see(HIDDEN)
            await user.should_see(f'postgres://app:{HIDDEN}@db/app')
            await user.should_not_see(secret)
            # Not in any element sent to the browser either (labels, tooltips, props).
            assert secret not in str([element._to_dict() for element in user.client.elements.values()])
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_container(name, force=True)
        client.close()


async def test_removing_another_container_does_not_mark_this_one_removed(signed_in_console, monkeypatch) -> None:
    """A removal event names only the removed container's id: the page of another container stays as it is."""
    require_engine()
    shown: list[str] = []
    show = container_badges._show

    def recording(self: container_badges, info, *, removed: bool = False) -> None:  # type: ignore[no-untyped-def]
        show(self, info, removed=removed)
        if self._seen is not None and (not shown or shown[-1] != self._seen[0]):
            shown.append(self._seen[0])

    monkeypatch.setattr(container_badges, '_show', recording)
    client = docker_client()
    ours, other = unique('hl-ours'), unique('hl-other')
    for name in (ours, other):
        client.containers.run(BASE_IMAGE, ['sleep', '300'], name=name, detach=True, labels={'homelab.test': 'true'})
    try:
        async with signed_in_console() as user:
            await user.open(f'/containers/{ours}')
            await wait_for_async(lambda: shown[-1:] == ['running'], timeout=20, what='our container running')
            # The engine reports the other container's removal before our container's stop, and the page hears them
            # in that order: once it shows ours exited, it has already heard of the other's removal.
            client.api.remove_container(other, force=True)
            client.api.kill(ours)
            await wait_for_async(lambda: shown[-1:] == ['exited'], timeout=30, what='our container exited')
            assert 'removed' not in shown, shown
            client.api.remove_container(ours, force=True)
            await wait_for_async(lambda: shown[-1:] == ['removed'], timeout=30, what='our container removed')
    finally:
        for name in (ours, other):
            with contextlib.suppress(docker.errors.NotFound):
                client.api.remove_container(name, force=True)
        client.close()
