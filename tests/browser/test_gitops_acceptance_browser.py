"""Issue 6's acceptance in a real Chromium, as a new user would try it: the console watches a git repository
holding compose.dev.yml as homelab-dev; stopping homelab-dev-web by hand makes a pending action appear on the
Actions page; approving it runs it live; /summary shows the drift before and none after; the day's
events.jsonl holds the stop, the approval and the run."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.browser_pages import FLAKY, PASSWORD, sign_in
from tests.helpers.console import create_user, running_console
from tests.helpers.dev_repo import WEB, create_token, dev_drift, dev_repo, journal_tells, summary
from tests.helpers.docker_ops import docker_client
from tests.helpers.rig import require_dev_stack
from tests.helpers.waiting import wait_for

IN_LINE = '[data-drift-stack=homelab-dev] [data-drift=in-line]'


def test_stop_web_then_approve_its_start_on_the_actions_page(
    browser: WebDriver, tmp_path: Path, artifacts: Path
) -> None:
    require_dev_stack()
    repo, config = dev_repo(tmp_path)
    data = tmp_path / 'data'
    client = docker_client()
    with running_console(data, HOMELAB_REPO_DIR=str(repo), HOMELAB_CONFIG=str(config)) as console:
        try:
            assert create_user(console.env, 'admin', PASSWORD).returncode == 0
            token = create_token(console.env)
            sign_in(browser, console)
            wait = WebDriverWait(browser, 90, ignored_exceptions=FLAKY)
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid=pending-actions]'))
            browser.get(f'{console.url}/actions')
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, IN_LINE))
            assert dev_drift(summary(console.url, token)) == []

            client.api.stop(WEB, timeout=2)
            card = wait.until(
                lambda d: next(
                    (
                        c
                        for c in d.find_elements(By.CSS_SELECTOR, '[data-testid=pending-actions] [data-action]')
                        if 'Start web' in c.text
                    ),
                    None,
                )
            )
            action_id = card.get_attribute('data-action')
            assert WEB in card.text  # the detail names the stopped container
            drifted = summary(console.url, token)
            assert [(d['kind'], d['service']) for d in dev_drift(drifted)] == [('stopped', 'web')]
            assert drifted['pending_actions'] == 1
            browser.save_screenshot(str(artifacts / 'acceptance-pending.png'))

            card.find_element(By.CSS_SELECTOR, '[data-testid=approve]').click()
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid=confirm-approve]').is_displayed())
            browser.find_element(By.CSS_SELECTOR, '[data-testid=confirm-approve]').click()
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-action-state="{action_id}:done"]'))
            browser.save_screenshot(str(artifacts / 'acceptance-done.png'))
            assert client.api.inspect_container(WEB)['State']['Running']
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, IN_LINE))

            after = wait_for(
                lambda: (s := summary(console.url, token))['pending_actions'] == 0 and not dev_drift(s) and s,
                timeout=60,
                what='no drift and no pending action in /summary',
            )
            assert after['stacks']['homelab-dev']['drift'] == []

            wait_for(
                lambda: journal_tells(data, container=WEB, action_id=action_id or '', actor='ui:admin'),
                timeout=30,
                what='the stop, the approval and the run in events.jsonl',
            )
        finally:
            if not client.api.inspect_container(WEB)['State']['Running']:
                client.api.start(WEB)
