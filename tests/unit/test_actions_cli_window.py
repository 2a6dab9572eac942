"""`homelab actions list` says which pending actions wait for the maintenance window (and --json marks them)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from ops.store.db import close_store, open_store
from ops.store.models import Action
from tests.helpers.console import HOMELAB, REPO, console_env, free_port

CONFIG = """
[maintenance]
windows = ["Sun 03:00-05:00"]

[stacks.media]
files = ["compose.yml"]
auto_approve = ["image"]
"""


async def stored(data: Path) -> tuple[int, int]:
    """An image update the media stack auto-approves, and a stopped service it does not."""
    await open_store(data / 'homelab.sqlite3')
    try:
        ids = [
            await proposed('jellyfin', 'image', 'Pull and recreate jellyfin'),
            await proposed('sonarr', 'stopped', 'Start sonarr'),
        ]
    finally:
        await close_store()
    return ids[0], ids[1]


async def proposed(service: str, kind: str, title: str) -> int:
    action = await Action.create(
        stack='media', service=service, container=f'media-{service}-1', kind=kind, drift_key=f'media:{kind}:{service}',
        title=title, detail='', operation='stack_service_up', params={'stack': 'media', 'service': service}, plan={},
        state='pending',
    )  # fmt: skip
    return int(action.id)


def listed(tmp_path: Path, *args: str) -> str:
    config = tmp_path / 'homelab.toml'
    config.write_text(CONFIG, encoding='utf-8')
    env = console_env(tmp_path / 'data', HOMELAB_PORT=str(free_port()), HOMELAB_CONFIG=str(config))
    done = subprocess.run([*HOMELAB, 'actions', 'list', *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_the_list_says_what_waits_for_the_window(tmp_path: Path) -> None:
    (tmp_path / 'data').mkdir()
    waits, person = await stored(tmp_path / 'data')
    text = listed(tmp_path)
    assert text.count('waits for the maintenance window Sun 03:00-05:00 (opens Sun ') == 1
    jellyfin = text.index('Pull and recreate jellyfin')
    assert text.index('waits for the maintenance window') > jellyfin > text.index('Start sonarr')  # newest first
    rows = {row['id']: row['waits_for_window'] for row in json.loads(listed(tmp_path, '--json'))}
    assert rows == {waits: True, person: False}
