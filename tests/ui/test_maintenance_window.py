"""The Actions page's maintenance panel through NiceGUI's simulated user: the next window with its countdown, the
actions that wait for it (badged), the schedules' next times, and all of it following the clock and the queue; the
same picture in /summary."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing import User

from app.auth.tokens import create_token
from components.action_board import action_board
from components.maintenance_window import maintenance_window
from ops.store.models import Action

CONFIG = """
[maintenance]
windows = ["Sun 03:00-05:00"]

[stacks.ghost]
files = ["compose.yml"]
auto_approve = ["stopped"]

[schedules.nightly-images]
task = "image_check"
at = ["03:30"]

[schedules.weekly-prune]
task = "prune"
at = ["Sun 04:00"]
"""


async def proposed(kind: str, title: str) -> Action:
    return await Action.create(
        stack='ghost', service='web', container='ghost-web-1', kind=kind,
        drift_key=f'ghost:{kind}:web:{time.monotonic_ns()}', title=title, detail='', operation='stack_service_up',
        params={'stack': 'ghost', 'service': 'web'}, plan={}, state='pending',
    )  # fmt: skip


def local(text: str) -> datetime:
    """A time of day in the host's zone (what the windows are read in); 2026-12-04 is a Friday."""
    return datetime.fromisoformat(text).astimezone()


def waiting_rows(user: User) -> list[str]:
    return [row.props['data-waiting'] for row in user.find(ui.row).elements if 'data-waiting' in row.props]


async def test_the_panel_shows_the_next_window_what_waits_and_the_schedules(
    signed_in_console, dead_engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / 'homelab.toml'
    config.write_text(CONFIG, encoding='utf-8')
    monkeypatch.setenv('HOMELAB_CONFIG', str(config))
    async with signed_in_console(docker_host=dead_engine) as user:
        start = await proposed('stopped', 'Start web')  # the policy covers it: it waits for the window
        recreate = await proposed('config', 'Recreate web with the new config')  # not covered: a person decides
        await user.open('/actions')
        await user.should_see('Start web', retries=50)
        [panel] = user.find(maintenance_window).elements
        clock = {'now': local('2026-12-04 22:30')}
        panel.windows.clock = panel.scheduler.clock = lambda: clock['now']
        panel.tick()  # what the page's minute ticker does

        await user.should_see('Next maintenance window: Sun 03:00-05:00 (in 1 d 4 h)', retries=50)
        await user.should_see('Waiting for the window (1)', retries=50)
        await user.should_see('waits for window')
        assert waiting_rows(user) == [str(start.id)]
        assert str(recreate.id) not in waiting_rows(user)
        # Its card in Pending carries the badge too; the one a person decides does not.
        [board] = user.find(action_board).elements
        assert board.cards[start.id].waits.visible and not board.cards[recreate.id].waits.visible
        await user.should_see('Sat 03:30 (in 5 h)')  # nightly-images
        await user.should_see('Sun 04:00 (in 1 d 5 h)')  # weekly-prune
        token = await create_token('dashboard')
        summary = (await user.http_client.get('/summary', headers={'Authorization': f'Bearer {token}'})).json()
        assert summary['maintenance'] == {
            'windows': ['Sun 03:00-05:00'],
            'inside': None,
            'next': {
                'window': 'Sun 03:00-05:00',
                'opens_at': local('2026-12-06 03:00').isoformat(),
                'closes_at': local('2026-12-06 05:00').isoformat(),
            },
            'waiting': [start.id],
            'schedules': [
                {'name': 'nightly-images', 'task': 'image_check', 'next': local('2026-12-05 03:30').isoformat()},
                {'name': 'weekly-prune', 'task': 'prune', 'next': local('2026-12-06 04:00').isoformat()},
            ],
        }

        clock['now'] = local('2026-12-06 03:10')
        panel.watch.poke()  # the watch wakes as the window opens: the panel follows it without waiting for a tick
        await user.should_see('Inside the maintenance window Sun 03:00-05:00 until 05:00 (1 h 50 min left)', retries=50)
        await user.should_see('due now')  # the engine is not reachable here: the supervisor cannot act on it yet

        await board.queue.reject(start.id, actor='alice', origin='test', reason='not this week')
        await user.should_see('Nothing waits for the window.', retries=50)  # the queue's event reloads the list
        assert waiting_rows(user) == []
