"""A rollback proposal on the Actions page in a real Chromium, next to a stack that shows "pinned by rollback":
light and dark pictures (rollback-proposal-light.png, -dark.png) and a phone-width check."""

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

from ops.maintenance.overrides import render_override
from tests.helpers.browser_pages import FLAKY, PASSWORD, dark, sign_in
from tests.helpers.console import REPO, Console, create_user, running_console
from tests.helpers.rig import require_dev_stack

HOSTILE = '<img src=x onerror=alert(1)>'
V1 = 'registry.home.arpa/media/jellyfin@sha256:4f1c2a9e0b7d3c5a8e6f1b2d4c6a8e0f2b4d6c8a0e2f4b6d8c0a2e4f6b8d0c2a'
V2 = 'registry.home.arpa/media/jellyfin@sha256:9c0e7b21d4a6f8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a6c8'
WEB = 'localhost:5000/homelab-dev/web@sha256:1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e5d6c7b8a9f0e1d2c'


@pytest.fixture
def configured(tmp_path: Path) -> Iterator[Console]:
    """A console that manages the dev stack (its service web pinned by an earlier rollback)."""
    require_dev_stack()
    config = tmp_path / 'homelab.toml'
    config.write_text('[stacks.homelab-dev]\nfiles = ["compose.dev.yml"]\n')
    with running_console(tmp_path / 'data', HOMELAB_CONFIG=str(config), HOMELAB_REPO_DIR=str(REPO)) as running:
        result = create_user(running.env, 'admin', PASSWORD)
        assert result.returncode == 0, result.stderr
        yield running


def insert(console: Console, table: str, values: dict[str, Any]) -> int:
    with sqlite3.connect(console.data_dir / 'homelab.sqlite3') as db:
        cursor = db.execute(
            f'INSERT INTO {table} ({", ".join(values)}) VALUES ({", ".join("?" * len(values))})',
            list(values.values()),
        )
        return int(cursor.lastrowid or 0)


def rollback_action(console: Console) -> int:
    """A rollback as the rollback watch proposes it (for a stack this console does not manage)."""
    now = datetime.now(UTC)
    plan = {
        'steps': [
            f"Write the console's override file /data/overrides/media.yml: services.jellyfin.image = {V1}",
            'compose up -d jellyfin: recreate media-jellyfin-1 on the earlier image, by digest (the repository is '
            'not touched; its files still name the newer image)',
            'Keep jellyfin pinned: the stack shows "pinned by rollback" and no update of jellyfin is proposed until '
            'someone releases the pin (then the update is proposed again)',
        ],
        'dry_run': [],
        'diff': [
            {'setting': 'image', 'running': V2, 'wanted': V1},
            {'setting': 'environment JELLYFIN_FFmpeg__probesize', 'running': '50M', 'wanted': None},
        ],
        'override': render_override({'jellyfin': V1}),
    }
    return insert(
        console,
        'actions',
        {
            'created_at': str(now - timedelta(minutes=2)),
            'updated_at': str(now),
            'stack': 'media',
            'service': 'jellyfin',
            'container': 'media-jellyfin-1',
            'kind': 'rollback',
            'drift_key': 'media:rollback:jellyfin:kg12',
            'title': 'Roll back jellyfin to registry.home.arpa/media/jellyfin@sha256:4f1c2a9e0b7d',
            'detail': f'media-jellyfin-1 turned unhealthy within 3 min of being recreated by run #41. Before, jellyfin '
            'ran registry.home.arpa/media/jellyfin@sha256:4f1c2a9e0b7d (healthy), replaced at 2026-11-30 23:10 UTC. '
            f'{HOSTILE}',
            'operation': 'stack_rollback',
            'params': json.dumps({'stack': 'media', 'service': 'jellyfin', 'known_good': 12}),
            'plan': json.dumps(plan),
            'state': 'pending',
            'auto': 0,
        },
    )


def test_rollback_proposal_pictures(browser: WebDriver, configured: Console, artifacts: Path) -> None:
    action = rollback_action(configured)
    insert(
        configured,
        'rollback_pins',
        {
            'stack': 'homelab-dev',
            'service': 'web',
            'image': 'localhost:5000/homelab-dev/web:stable',
            'digest': WEB,
            'known_good_id': 3,
            'reason': 'run #7',
            'pinned_at': str(datetime.now(UTC) - timedelta(hours=1)),
            'pinned_by': 'ui:admin',
        },
    )
    sign_in(browser, configured)
    wait = WebDriverWait(browser, 60, ignored_exceptions=FLAKY)
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid=pending-actions]').text == '1')  # signed in
    browser.get(f'{configured.url}/actions')
    card = f'[data-action="{action}"]'
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'{card} [data-plan=override]').is_displayed())
    text = browser.find_element(By.CSS_SELECTOR, card).text
    assert 'Roll back jellyfin to registry.home.arpa/media/jellyfin@sha256:4f1c2a9e0b7d' in text
    assert HOSTILE in text and not browser.find_elements(By.CSS_SELECTOR, f'{card} img')  # text, never markup
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-drift-stack=homelab-dev] [data-drift="pinned:web"]'))
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-pinned=web]'))
    browser.set_window_size(1400, 1100)
    browser.execute_script('arguments[0].scrollIntoView({block: "start"})', browser.find_element(By.CSS_SELECTOR, card))
    browser.save_screenshot(str(artifacts / 'rollback-proposal-light.png'))
    dark(browser, wait)
    browser.execute_script('arguments[0].scrollIntoView({block: "start"})', browser.find_element(By.CSS_SELECTOR, card))
    browser.save_screenshot(str(artifacts / 'rollback-proposal-dark.png'))

    browser.set_window_size(390, 844)
    browser.refresh()
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'{card} [data-plan=override]'))
    wait.until(lambda d: d.execute_script(
        'const d = document.querySelector(".q-drawer"); return !d || d.getBoundingClientRect().right <= 0;'
    ))  # fmt: skip
    browser.execute_script('arguments[0].scrollIntoView({block: "start"})', browser.find_element(By.CSS_SELECTOR, card))
    browser.save_screenshot(str(artifacts / 'rollback-proposal-phone-dark.png'))
    wide = browser.execute_script(
        'return [...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > 391)'
        '.slice(0, 5).map(e => e.tagName + "." + e.className + ": " + (e.innerText || "").slice(0, 60))'
    )
    assert browser.execute_script('return document.documentElement.scrollWidth') <= 390, wide


def test_pins_and_known_good_states_pictures(browser: WebDriver, configured: Console, artifacts: Path) -> None:
    now = datetime.now(UTC)
    states = []
    for number, digest in enumerate((V1, V2, WEB)):
        states.append(
            insert(
                configured,
                'known_good',
                {
                    'recorded_at': str(now - timedelta(days=3 - number)),
                    'stack': 'homelab-dev',
                    'service': 'web',
                    'container_name': 'homelab-dev-web-1',
                    'image': 'localhost:5000/homelab-dev/web:stable',
                    'digest': digest,
                    'image_id': 'sha256:' + f'{number}' * 64,
                    'config_hash': f'{number}' * 64,
                    'settings': json.dumps({'environment': {'LEVEL': str(number)}}),
                    'healthy': 1,
                    'run_id': 40 + number,
                },
            )
        )
    insert(
        configured,
        'rollback_pins',
        {
            'stack': 'homelab-dev',
            'service': 'web',
            'image': 'localhost:5000/homelab-dev/web:stable',
            'digest': WEB,
            'known_good_id': states[-1],
            'reason': 'run #43',
            'pinned_at': str(now - timedelta(hours=1)),
            'pinned_by': f'ui:{HOSTILE}',
        },
    )
    sign_in(browser, configured)
    wait = WebDriverWait(browser, 60, ignored_exceptions=FLAKY)
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid=pending-actions]'))
    browser.set_window_size(1400, 900)
    browser.get(f'{configured.url}/maintenance')
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-pin="homelab-dev/web"]'))
    pins = browser.find_element(By.CSS_SELECTOR, '[data-testid=rollback-pins]')
    assert f'pinned by ui:{HOSTILE}' in pins.text and not pins.find_elements(By.CSS_SELECTOR, 'img')
    browser.save_screenshot(str(artifacts / 'rollback-pins-light.png'))
    browser.get(f'{configured.url}/containers/homelab-dev-web-1')
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid=pinned-here]'))
    known = browser.find_element(By.CSS_SELECTOR, '[data-testid=known-good]')
    assert known.text.count('Roll back to this'.upper()) + known.text.count('Roll back to this') == 2
    browser.execute_script('arguments[0].scrollIntoView({block: "center"})', known)
    dark(browser, wait)
    browser.save_screenshot(str(artifacts / 'known-good-dark.png'))
