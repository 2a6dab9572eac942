"""The Actions page in a real Chromium: drift per stack, a pending action with its plan preview, approving
it (the run is refused: its stack is not configured) and the history; light, dark and phone pictures."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.browser_pages import FLAKY, PASSWORD, dark, sign_in
from tests.helpers.console import REPO, Console, create_user, running_console
from tests.helpers.rig import require_dev_stack

HOSTILE = '<img src=x onerror=alert(1)>'
PLAN = {
    'steps': ['pull registry.home.arpa/media/jellyfin:10.9, layer by layer', 'compose up -d jellyfin'],
    'dry_run': [
        'Container media-jellyfin-1  Recreate',
        'Container media-jellyfin-1  Recreated',
        'Container media-jellyfin-1  Starting',
        'Container media-jellyfin-1  Started',
    ],
    'diff': [
        {
            'setting': 'image',
            'running': 'registry.home.arpa/media/jellyfin:10.8',
            'wanted': 'registry.home.arpa/media/jellyfin:10.9',
        },
        {'setting': 'env.JELLYFIN_PublishedServerUrl', 'running': None, 'wanted': 'https://jellyfin.home.arpa'},
        {'setting': 'ports', 'running': '8096/tcp -> 127.0.0.1:8096', 'wanted': '8096/tcp -> 0.0.0.0:8096'},
    ],
    'error': None,
}


@pytest.fixture
def configured(tmp_path: Path) -> Iterator[Console]:
    """A console that manages the dev stack and a stack whose files are missing."""
    require_dev_stack()
    config = tmp_path / 'homelab.toml'
    config.write_text(
        '[stacks.homelab-dev]\nfiles = ["compose.dev.yml"]\n\n[stacks.broken]\nfiles = ["nope/compose.yml"]\n'
    )
    with running_console(tmp_path / 'data', HOMELAB_CONFIG=str(config), HOMELAB_REPO_DIR=str(REPO)) as running:
        result = create_user(running.env, 'admin', PASSWORD)
        assert result.returncode == 0, result.stderr
        yield running


def insert(console: Console, **row: Any) -> int:
    """An action as the supervisor would have stored it (for a stack this console does not manage)."""
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        'created_at': str(now - timedelta(minutes=row.pop('minutes_ago', 3))),
        'updated_at': str(now),
        'stack': 'media',
        'service': 'jellyfin',
        'container': 'media-jellyfin-1',
        'kind': 'image',
        'drift_key': f'media:image:jellyfin:{now.timestamp()}',
        'title': 'Pull and recreate jellyfin',
        'detail': 'media/jellyfin:10.9: the registry has sha256:4f1c2a9e…, media-jellyfin-1 runs 10.8',
        'operation': 'stack_service_up',
        'params': {'stack': 'media', 'service': 'jellyfin', 'pull': True},
        'plan': PLAN,
        'state': 'pending',
        'auto': 0,
    } | row
    for key in ('params', 'plan'):
        values[key] = json.dumps(values[key])
    for key in ('decided_at', 'finished_at'):
        if key in values and isinstance(values[key], datetime):
            values[key] = str(values[key])
    with sqlite3.connect(console.data_dir / 'homelab.sqlite3') as db:
        cursor = db.execute(
            f'INSERT INTO actions ({", ".join(values)}) VALUES ({", ".join("?" * len(values))})',
            list(values.values()),
        )
        return int(cursor.lastrowid or 0)


def full_height(browser: WebDriver, width: int) -> None:
    """Make the window as tall as the page, so the picture shows all of it."""
    height = browser.execute_script('return document.documentElement.scrollHeight')
    browser.set_window_size(width, min(int(height) + 140, 4000))


def test_actions_pictures(browser: WebDriver, configured: Console, artifacts: Path) -> None:
    earlier = datetime.now(UTC) - timedelta(hours=2)
    insert(configured, title='Remove orphan media-old-1', kind='orphan', service=None, container='media-old-1',
           operation='stack_orphan_remove', state='rejected', decided_by='ui:admin', decided_at=earlier,
           finished_at=earlier, plan={}, minutes_ago=200)  # fmt: skip
    insert(configured, title='Start sonarr', kind='stopped', service='sonarr', state='failed', decided_by='cli:root',
           decided_at=earlier, finished_at=earlier, error='compose up failed: port 8989 is already allocated',
           plan={}, minutes_ago=180)  # fmt: skip
    action = insert(configured, detail=f'media-jellyfin-1 runs 10.8; the registry has 10.9 {HOSTILE}')
    sign_in(browser, configured)
    wait = WebDriverWait(browser, 60, ignored_exceptions=FLAKY)
    # The Overview: each managed stack's card carries its drift; the pending count links here.
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid=pending-actions]').text == '1')
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-stack=broken] [data-drift="invalid:1"]'))
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-stack=homelab-dev] [data-drift=unchecked]'))
    browser.save_screenshot(str(artifacts / 'actions-overview-light.png'))
    browser.get(f'{configured.url}/actions')
    card = f'[data-action="{action}"]'
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'{card} [data-plan=dry-run]').is_displayed())
    assert HOSTILE in browser.find_element(By.CSS_SELECTOR, card).text  # shown as text, never as markup
    assert not browser.find_elements(By.CSS_SELECTOR, f'{card} img')
    # The real supervisor compares the dev stack; the broken stack's files cannot be read.
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-drift-stack=broken] [data-drift="invalid:1"]'))
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-drift-stack=homelab-dev] [data-drift=unchecked]'))
    assert 'nope/compose.yml' in browser.find_element(By.CSS_SELECTOR, '[data-testid=invalid-files]').text
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-history-state]'))
    full_height(browser, 1400)
    browser.save_screenshot(str(artifacts / 'actions-light.png'))
    dark(browser, wait)
    browser.save_screenshot(str(artifacts / 'actions-dark.png'))

    browser.set_window_size(1400, 900)
    browser.find_element(By.CSS_SELECTOR, f'{card} [data-testid=approve]').click()
    wait.until(
        lambda d: (
            'Approve: Pull and recreate jellyfin?'
            in d.find_element(By.CSS_SELECTOR, '[data-testid=confirm-dialog]').text
        )
    )
    browser.save_screenshot(str(artifacts / 'actions-confirm-dark.png'))
    browser.find_element(By.CSS_SELECTOR, '[data-testid=confirm-approve]').click()
    # The run is refused (media is not a configured stack): the action ends failed, with the reason.
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-history-state="{action}:failed"]'))
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'{card} [data-action-state="{action}:failed"]'))
    assert "stack 'media' is not configured" in browser.find_element(By.CSS_SELECTOR, card).text
    full_height(browser, 1400)
    browser.save_screenshot(str(artifacts / 'actions-approved-dark.png'))

    second = insert(configured, title='Start sonarr', kind='stopped', service='sonarr', plan={
        'steps': ['compose up -d sonarr'], 'dry_run': ['Container media-sonarr-1  Starting'], 'diff': [],
        'error': None}, detail='media-sonarr-1 is exited (exit code 137)', minutes_ago=1)  # fmt: skip
    browser.set_window_size(390, 844)
    browser.refresh()
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-action="{second}"] [data-plan=dry-run]'))
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-history-state]'))
    wait.until(lambda d: d.execute_script(
        'const d = document.querySelector(".q-drawer"); return !d || d.getBoundingClientRect().right <= 0;'
    ))  # fmt: skip
    assert browser.execute_script('return document.documentElement.scrollWidth') <= 390
    full_height(browser, 390)
    browser.save_screenshot(str(artifacts / 'actions-phone-dark.png'))
