"""The Overview through NiceGUI's simulated user: signal strip, stacks, live rows, recent runs, pending actions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

import docker
import pytest
from nicegui import ui
from nicegui.element import Element
from nicegui.testing import User

from components.container_entry import container_entry
from components.recent_runs import recent_runs
from components.stack_cards import stack_cards
from tests.helpers.host_world import host_world
from tests.helpers.loopback_servers import tcp_server
from tests.helpers.rig import require_dev_stack
from tests.helpers.waiting import wait_for_async

WEB = 'homelab-dev-web-1'


async def test_signal_strip_pending_actions_and_live_recent_runs(
    signed_in_console, dead_engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with tcp_server() as port:
        host_world(tmp_path, monkeypatch, open_port=port)
        async with signed_in_console(docker_host=dead_engine) as user:
            expected = {'reboot:warn', 'upgrades:ok', 'probe:nas:ok', 'probe:printer:bad'}
            await wait_for_async(lambda: _signals(user) >= expected, timeout=20, what='the signals')
            assert any(key.startswith('disk:') for key in _signals(user)), _signals(user)
            await user.should_see('Reboot required')
            await user.should_see('pending actions')
            await user.should_see('No runs yet.')
            # A run started anywhere shows up here without a reload.
            (runs,) = user.find(recent_runs).elements
            handle = await cast(recent_runs, runs).manager.submit(
                'host_reboot_required', {}, actor='admin', origin='ui'
            )
            await handle.outcome()
            await user.should_see(f'#{handle.run_id} host_reboot_required', retries=50)
            user.find(kind=ui.chip, content='Reboot required').click()
            await user.should_see('Unattended upgrades', retries=50)


async def test_a_container_event_updates_only_that_containers_row(signed_in_console) -> None:
    require_dev_stack()
    async with signed_in_console() as user:
        web = await wait_for_async(lambda: _entry(user, WEB), timeout=20, what='web on the Overview')
        await wait_for_async(lambda: web.info.health == 'healthy', timeout=60, what='web healthy')
        assert web.props['href'] == f'/containers/{WEB}'  # the row's link
        assert 'homelab-dev' in {el.props.get('data-stack') for el in user.find(ui.card).elements}
        restarts = lambda: web.props.get('restarts', '')  # noqa: E731 (the row's restarts text)
        await wait_for_async(lambda: restarts().endswith('restarts') or restarts().endswith('restart'),
                             timeout=20, what='the restart count from the inspect')  # fmt: skip

        updated: list[Element] = []
        outbox = user.client.outbox
        original = outbox.enqueue_update
        outbox.enqueue_update = lambda element: (updated.append(element), original(element))[1]  # type: ignore[method-assign]
        client = docker.DockerClient(base_url=os.environ.get('DOCKER_HOST') or 'unix:///var/run/docker.sock')
        try:
            client.api.restart(WEB, timeout=1)
        finally:
            client.close()
        await wait_for_async(lambda: web.info.health != 'healthy', timeout=30, what='web leaving healthy')
        await wait_for_async(lambda: web.info.health == 'healthy', timeout=60, what='web healthy again')
        outbox.enqueue_update = original  # type: ignore[method-assign]

        # B10: what was sent belongs to web's row (or its stack's "n of m running" line), never the whole board.
        (board,) = user.find(stack_cards).elements
        on_board = {board.id, *(child.id for child in board.descendants())}
        rows = {row.id: {row.id, *(c.id for c in row.descendants())} for row in user.find(container_entry).elements}
        in_rows = set().union(*rows.values())  # other rows change meanwhile too (flaky restarts every 20 s)
        assert {el.id for el in updated} & rows[web.id], 'the restart sent nothing for its row'
        rest = [el for el in updated if el.id in on_board and el.id not in in_rows]
        assert all(getattr(el, 'text', '').endswith('running') for el in rest), [
            (type(el).__name__, el.props) for el in rest
        ]


def _signals(user: User) -> set[str]:
    return {str(el.props['data-signal']) for el in user.find(ui.chip).elements if el.props.get('data-signal')}


def _entry(user: User, name: str) -> container_entry | None:
    for element in user.find(container_entry).elements:
        if cast(container_entry, element).info.name == name:
            return cast(container_entry, element)
    return None
