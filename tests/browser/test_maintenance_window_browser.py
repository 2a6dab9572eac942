"""The Actions page's maintenance panel in a real Chromium: the next window, an action waiting for it (badged on its
card too) and the schedules; light, dark and phone pictures."""

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
from tests.helpers.console import Console, create_user, running_console

CONFIG = """
[maintenance]
windows = ["Sun 03:00-05:00", "Wed 01:00-02:00"]

[stacks.media]
files = ["compose.yml"]
auto_approve = ["image"]

[schedules.nightly-images]
task = "image_check"
at = ["03:30"]

[schedules.weekly-prune]
task = "prune"
at = ["Sun 04:00"]
"""


@pytest.fixture
def windowed(tmp_path: Path) -> Iterator[Console]:
    """A console with windows and schedules; its engine is not reachable, so the supervisor leaves the stored
    actions as they are (the picture is of the panel, not of a drift)."""
    config = tmp_path / 'homelab.toml'
    config.write_text(CONFIG, encoding='utf-8')
    engine = f'unix://{tmp_path}/no-engine.sock'
    with running_console(tmp_path / 'data', HOMELAB_CONFIG=str(config), DOCKER_HOST=engine) as running:
        result = create_user(running.env, 'admin', PASSWORD)
        assert result.returncode == 0, result.stderr
        yield running


def insert(console: Console, **row: Any) -> int:
    """A pending action as the supervisor would have stored it."""
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        'created_at': str(now - timedelta(hours=5)), 'updated_at': str(now), 'stack': 'media', 'service': 'jellyfin',
        'container': 'media-jellyfin-1', 'kind': 'image', 'drift_key': f'media:{now.timestamp()}',
        'title': 'Pull and recreate jellyfin', 'detail': 'the registry has a newer media/jellyfin:10.9',
        'operation': 'stack_service_up', 'params': json.dumps({'stack': 'media', 'service': 'jellyfin'}),
        'state': 'pending', 'auto': 0,
    } | row  # fmt: skip
    values['plan'] = json.dumps(values.get('plan', {}))
    with sqlite3.connect(console.data_dir / 'homelab.sqlite3') as db:
        cursor = db.execute(
            f'INSERT INTO actions ({", ".join(values)}) VALUES ({", ".join("?" * len(values))})', list(values.values())
        )
        return int(cursor.lastrowid or 0)


def full_height(browser: WebDriver, width: int) -> None:
    """Make the window as tall as the page, so the picture shows all of it."""
    height = browser.execute_script('return document.documentElement.scrollHeight')
    browser.set_window_size(width, min(int(height) + 140, 4000))


def test_maintenance_window_pictures(browser: WebDriver, windowed: Console, artifacts: Path) -> None:
    waits = insert(windowed, plan={'steps': ['pull media/jellyfin:10.9', 'compose up -d jellyfin'], 'dry_run': [],
                                   'diff': [], 'error': None})  # fmt: skip
    person = insert(windowed, title='Start sonarr', kind='stopped', service='sonarr', detail='exited (137)', plan={})
    sign_in(browser, windowed)
    wait = WebDriverWait(browser, 60, ignored_exceptions=FLAKY)
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid=pending-actions]'))
    browser.get(f'{windowed.url}/actions')
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-waiting="{waits}"]'))
    headline = browser.find_element(By.CSS_SELECTOR, '[data-testid=window-next]').text
    assert headline.startswith(('Next maintenance window: ', 'Inside the maintenance window ')), headline
    assert browser.find_element(By.CSS_SELECTOR, f'[data-waits="{waits}"]').is_displayed()
    assert not browser.find_element(By.CSS_SELECTOR, f'[data-waits="{person}"]').is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, '[data-schedule=weekly-prune]').is_displayed()
    full_height(browser, 1400)
    browser.save_screenshot(str(artifacts / 'actions-window-light.png'))
    dark(browser, wait)
    browser.save_screenshot(str(artifacts / 'actions-window-dark.png'))

    browser.set_window_size(390, 844)
    browser.refresh()
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-waiting="{waits}"]'))
    wait.until(lambda d: d.execute_script(
        'const d = document.querySelector(".q-drawer"); return !d || d.getBoundingClientRect().right <= 0;'
    ))  # fmt: skip
    assert browser.execute_script('return document.documentElement.scrollWidth') <= 390
    full_height(browser, 390)
    browser.save_screenshot(str(artifacts / 'actions-window-phone-dark.png'))
