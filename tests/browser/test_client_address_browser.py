"""A local process cannot choose the address the console throttles and audits: X-Forwarded-For counts only from a
configured proxy (Chromium adds the header to every request it sends, the page's and the socket's)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.helpers.browser_pages import open_page
from tests.helpers.console import HOMELAB, REPO, Console, create_user, running_console
from tests.helpers.waiting import wait_for

CLAIMED = '203.0.113.9'


@pytest.mark.parametrize(
    ('trusted', 'audited'),
    [({}, '127.0.0.1'), ({'HOMELAB_TRUSTED_PROXIES': '["127.0.0.1"]'}, CLAIMED)],
    ids=['no-proxy-configured', 'loopback-proxy-configured'],
)
def test_a_failed_sign_in_is_audited_with_the_peer_unless_it_is_a_trusted_proxy(
    browser: WebDriver, tmp_path: Path, trusted: dict[str, str], audited: str
) -> None:
    with running_console(tmp_path / 'data', DOCKER_HOST=f'unix://{tmp_path}/dead.sock', **trusted) as console:
        assert create_user(console.env, 'admin', 'correct horse battery staple').returncode == 0
        browser.execute_cdp_cmd('Network.enable', {})
        browser.execute_cdp_cmd('Network.setExtraHTTPHeaders', {'headers': {'X-Forwarded-For': CLAIMED}})
        name = open_page(browser, console, '/login', 'input[autocomplete=username]', what='sign-in form', timeout=20)
        name.send_keys('admin')
        browser.find_element(By.CSS_SELECTOR, 'input[autocomplete=current-password]').send_keys('wrong password')
        browser.find_element(By.CSS_SELECTOR, '[data-testid=sign-in]').click()

        event = wait_for(lambda: failed_sign_in(console), timeout=30, what='the login_failed audit event')
        assert event is not None
        assert event['detail']['client'] == audited


def failed_sign_in(console: Console) -> dict[str, Any] | None:
    listed = subprocess.run(
        [*HOMELAB, 'audit', 'list', '--json', '--kind', 'login_failed'],
        env=console.env, cwd=REPO, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    events: list[dict[str, Any]] = json.loads(listed.stdout)['events']
    return events[0] if events else None
