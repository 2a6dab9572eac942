"""The production container (compose.prod.yml on the rig's engine) lets a person sign in with a password in a
real Chromium, shows the dev stack it reaches through the mounted socket, and serves /summary to the session."""

from __future__ import annotations

import json
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.browser_pages import FLAKY, PASSWORD, sign_in
from tests.helpers.prod_stack import PROD_IMAGE, build_prod_image, prod_stack
from tests.helpers.rig import require_dev_stack


def test_sign_in_to_the_production_container(browser: WebDriver, tmp_path: Path, artifacts: Path) -> None:
    require_dev_stack()
    build_prod_image(PROD_IMAGE)  # cached: only what changed is rebuilt
    with prod_stack(tmp_path) as stack:
        stack.up()
        created = stack.homelab('user', 'create', 'admin', '--password-stdin', input=PASSWORD + '\n')
        assert created.returncode == 0, created.stderr

        sign_in(browser, stack)  # type: ignore[arg-type]  # it only needs .url
        wait = WebDriverWait(browser, 60, ignored_exceptions=FLAKY)
        wait.until(lambda d: 'homelab-dev-web-1' in d.find_element(By.TAG_NAME, 'body').text)
        browser.save_screenshot(str(artifacts / 'prod-overview.png'))

        browser.get(f'{stack.url}/summary')
        summary = json.loads(browser.find_element(By.TAG_NAME, 'body').text)
        assert summary['engine']['reachable'] is True
        assert summary['stacks']['homelab-dev']['containers'] >= 5
