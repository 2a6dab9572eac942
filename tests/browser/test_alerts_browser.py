"""A real Chromium on the Alerts page with a few alerts (open and resolved, messages sent and failed): the
Acknowledge button names the person; screenshots in light, dark and at phone width for a person to judge."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import docker.errors
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from ops.alerts.records import Alert, AlertMessage, AlertState
from ops.alerts.rules import AlertSeverity, Rule
from ops.docker.labels import PROJECT_LABEL
from ops.notify.outbox import MessageState, OutboxMessage
from ops.store.db import close_store, open_store
from tests.helpers.browser_pages import FLAKY, PASSWORD, dark, shows, sign_in
from tests.helpers.console import Console, create_user, running_console
from tests.helpers.docker_ops import BASE_IMAGE, docker_client
from tests.helpers.rig import require_dev_stack

URL = 'json://127.0.0.1:9/never-shown'


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    """A console whose store already holds alerts when it starts (the keeper takes up the open ones)."""
    require_dev_stack()
    # The crash-looping container of the seeded alert exists (stopped): a stop alert of a container that is gone
    # resolves by itself, and the page would show nothing open.
    client = docker_client()
    with contextlib.suppress(docker.errors.NotFound):
        client.api.remove_container('media-jellyfin-1', force=True)
    client.api.create_container(
        BASE_IMAGE, ['true'], name='media-jellyfin-1', labels={PROJECT_LABEL: 'media', 'homelab.test': 'true'}
    )
    data = tmp_path / 'data'
    asyncio.run(_seed(data / 'homelab.sqlite3'))
    config = tmp_path / 'homelab.toml'
    config.write_text(f'[notify.channels.phone]\nurl = "{URL}"\n\n[notify.channels.mail]\nurl = "{URL}"\n')
    try:
        with running_console(data, HOMELAB_CONFIG=str(config)) as running:
            result = create_user(running.env, 'admin', PASSWORD)
            assert result.returncode == 0, result.stderr
            yield running
    finally:
        client.api.remove_container('media-jellyfin-1', force=True)


def test_the_alerts_page_in_light_dark_and_on_a_phone(browser: WebDriver, console: Console, artifacts: Path) -> None:
    sign_in(browser, console)
    wait = WebDriverWait(browser, 30, ignored_exceptions=FLAKY)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid=page-title]'))
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid=alert-banner]').is_displayed())
    browser.save_screenshot(str(artifacts / 'overview-alerts-light.png'))
    browser.get(f'{console.url}/alerts')
    wait.until(shows('[data-testid=open-alerts]', 'media-jellyfin-1'))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-alert-delivery]'))
    assert URL not in browser.page_source and '127.0.0.1:9' not in browser.page_source
    crash = browser.find_element(By.CSS_SELECTOR, '[data-testid^=acknowledge-]')
    crash.click()
    wait.until(shows('[data-testid=open-alerts]', 'Acknowledged by ui:admin'))
    browser.save_screenshot(str(artifacts / 'alerts-light.png'))
    dark(browser, wait)
    browser.save_screenshot(str(artifacts / 'alerts-dark.png'))
    browser.execute_script('window.scrollTo(0, document.body.scrollHeight)')
    browser.save_screenshot(str(artifacts / 'alerts-dark-history.png'))

    browser.set_window_size(390, 844)
    browser.refresh()
    wait.until(shows('[data-testid=open-alerts]', 'media-jellyfin-1'))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-alert-delivery]'))
    assert browser.execute_script('return document.documentElement.scrollWidth') <= 390  # no sideways scrolling
    browser.execute_script('window.scrollTo(0, 0)')
    browser.save_screenshot(str(artifacts / 'alerts-phone.png'))
    browser.execute_script('window.scrollTo(0, document.body.scrollHeight)')
    browser.save_screenshot(str(artifacts / 'alerts-phone-history.png'))


async def _seed(database: Path) -> None:
    """Two open alerts, one resolved; messages sent, and one given up with its (scrubbed) error."""
    await open_store(database)
    try:
        now = datetime.now(UTC)
        crash = await _alert(Rule.CRASH_LOOP, 'media-jellyfin-1', AlertSeverity.CRITICAL, now - timedelta(minutes=14),
                             'media-jellyfin-1 died 4 times in 10 min (last exit code 139)',
                             {'stack': 'media', 'service': 'jellyfin', 'image': 'jellyfin/jellyfin:10.9',
                              'deaths': 4, 'last_exit_code': 139, 'last_at': '14:02:11 UTC'})  # fmt: skip
        disk = await _alert(Rule.DISK_FULL, '/srv/photos', AlertSeverity.WARNING, now - timedelta(hours=3),
                            '/srv/photos is 93% full (threshold 90%)', {'used': '93%', 'free': '71 GB'})  # fmt: skip
        disk.snoozed_until, disk.snoozed_by = now + timedelta(hours=8), 'ui:admin'
        await disk.save()
        old = await _alert(Rule.CONTAINER_EXITED, 'photos-immich-server-1', AlertSeverity.WARNING,
                           now - timedelta(days=1), 'photos-immich-server-1 stopped unexpectedly, exit code 137',
                           {'exit_code': 137})  # fmt: skip
        old.state, old.open_key, old.resolved_at = AlertState.RESOLVED, None, now - timedelta(hours=20)
        old.resolution, old.acknowledged_by = 'photos-immich-server-1 has been running again for 30 s', 'ui:admin'
        await old.save()
        await _message(crash, 'phone', MessageState.SENT, 1, None)
        await _message(crash, 'mail', MessageState.FAILED, 50,
                       'SMTP said: 535 authentication failed for <redacted>')  # fmt: skip
        await _message(disk, 'phone', MessageState.SENT, 2, None)
        await _message(old, 'phone', MessageState.SENT, 1, None)
    finally:
        await close_store()


async def _alert(rule: Rule, target: str, severity: AlertSeverity, at: datetime, summary: str,
                 evidence: dict[str, object]) -> Alert:  # fmt: skip
    return await Alert.create(
        rule=rule, target=target, open_key=f'{rule.value}:{target}', severity=severity, summary=summary,
        evidence=evidence, group=target.split('-')[0], opened_at=at, updated_at=at, told_opened=True,
    )  # fmt: skip


async def _message(alert: Alert, channel: str, state: MessageState, attempts: int, error: str | None) -> None:
    message = await OutboxMessage.create(
        channel=channel, dedup_key=f'alert-opened:{alert.id}', title=alert.summary, body=alert.summary,
        next_attempt_at=alert.opened_at, state=state, attempts=attempts, last_error=error,
    )  # fmt: skip
    await AlertMessage.create(alert_id=alert.id, message_id=message.id, kind='opened')
