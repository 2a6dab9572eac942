"""The whole sign-in with TOTP in a real browser: password, then the authenticator code, then the console."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pyotp
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.browser_pages import sign_in
from tests.helpers.console import HOMELAB, REPO, Console


def test_sign_in_with_password_and_authenticator_code(browser: WebDriver, console: Console, artifacts: Path) -> None:
    enrolled = subprocess.run(
        [*HOMELAB, 'user', 'totp', 'admin'],
        env=console.env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    secret = next(line.split(':', 1)[1].strip() for line in enrolled.stdout.splitlines() if 'secret:' in line)
    sign_in(browser, console)
    wait = WebDriverWait(browser, 30)
    field = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, 'input[autocomplete=one-time-code]')))
    assert not browser.find_elements(By.CSS_SELECTOR, '[data-testid=page-title]')
    browser.save_screenshot(str(artifacts / 'login-second-factor.png'))
    field.send_keys(pyotp.TOTP(secret).now())
    browser.find_element(By.CSS_SELECTOR, '[data-testid=verify-code]').click()
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, '[data-testid=page-title]'), 'Overview'))
    cookie = browser.get_cookie('homelab_session')
    assert cookie is not None and cookie['httpOnly'] and cookie['sameSite'] == 'Lax'
