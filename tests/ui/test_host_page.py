"""The Host page through NiceGUI's simulated user: disk, trends, reboot, upgrades, probes and the journal."""

from __future__ import annotations

from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing import User

from ops.store.models import Run
from tests.helpers.host_world import HOSTILE, UNIT, host_world
from tests.helpers.loopback_servers import tcp_server
from tests.helpers.waiting import wait_for_async


async def test_host_page_shows_disk_trends_reboot_upgrades_and_probes(
    signed_in_console, dead_engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with tcp_server() as port:
        host_world(tmp_path, monkeypatch, open_port=port)
        async with signed_in_console(docker_host=dead_engine) as user:
            await user.open('/host')
            await user.should_see('Reboot required', retries=50)
            await user.should_see('linux-image-amd64')
            # A package name that looks like HTML is shown as the text it is.
            assert any(label.text == HOSTILE for label in user.find(ui.label).elements)
            await user.should_see('Upgrades installed')
            await user.should_see('Upgraded: openssl, libssl3')
            assert len(user.find(ui.echart).elements) == 2
            await _probe_badges(user, {'nas:ok', 'printer:down'})
            user.find(kind=ui.button, content='Run probes now').click()
            await wait_for_async(
                lambda: _probe_runs('succeeded', 2), timeout=30, what='two audited probe runs from the page'
            )
            await user.should_see('Docker')
            await user.should_see('Not available', retries=50)  # the engine's disk use, with a dead engine
            await wait_for_async(
                lambda: any(el.props.get('data-filesystem') == '/' for el in user.find(ui.column).elements),
                timeout=20,
                what="a disk bar for the host's /",
            )


async def test_journal_reads_are_audited_runs_shown_as_text(
    signed_in_console, dead_engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with tcp_server() as port:
        host_world(tmp_path, monkeypatch, open_port=port)
        async with signed_in_console(docker_host=dead_engine) as user:
            await user.open('/host')
            user.find(kind=ui.button, content='Show').click()
            await user.should_see('2 entries', retries=100)
            await user.should_see('snapshot 1a2b saved')
            (log,) = user.find(ui.log).elements
            lines = [label.text for label in log.descendants() if isinstance(label, ui.label)]
            assert any(line.endswith(f'note {HOSTILE}') for line in lines)
            runs = await Run.filter(operation='host_journal')
            assert [(run.state, run.actor, run.origin, run.params['unit']) for run in runs] == [
                ('succeeded', 'ui:admin', 'ui', UNIT)  # the person as every page names them (issue 12 item 7)
            ]


async def test_runs_from_the_host_page_name_the_person_as_every_page_does(
    signed_in_console, dead_engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with tcp_server() as port:
        host_world(tmp_path, monkeypatch, open_port=port)
        async with signed_in_console(docker_host=dead_engine) as user:
            await user.open('/host')
            user.find(kind=ui.button, content='Show').click()
            await user.should_see('2 entries', retries=100)
            user.find(kind=ui.button, content='Run probes now').click()
            await wait_for_async(lambda: _probe_runs('succeeded', 2), timeout=30, what='two probe runs from the page')
            runs = await Run.filter(origin='ui').order_by('id')
            assert [(run.operation, run.actor) for run in runs] == [
                ('host_journal', 'ui:admin'),
                ('host_network_probe', 'ui:admin'),
                ('host_network_probe', 'ui:admin'),
            ]


async def _probe_runs(state: str, count: int) -> bool:
    runs = await Run.filter(operation='host_network_probe', state=state, origin='ui')
    return len(runs) == count


async def _probe_badges(user: User, expected: set[str]) -> None:
    def seen() -> bool:
        badges = {str(el.props.get('data-probe')) for el in user.find(ui.badge).elements if el.props.get('data-probe')}
        return badges == expected

    await wait_for_async(seen, timeout=20, what=f'probe badges {expected}')
