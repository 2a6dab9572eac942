"""Single sign-on as a person does it: Chromium clicks "Sign in with single sign-on" on the real console, goes
through a standard OpenID provider (npm's oidc-provider: ID token with only `sub`, claims from userinfo, as
Authelia 4.39+) and lands on the Overview signed in under the name the provider's userinfo gave."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.console import running_console
from tests.helpers.oidc_peer import running_standard_provider


def test_single_sign_on_with_a_standard_provider_and_an_email_allowlist(
    browser: WebDriver, tmp_path: Path, artifacts: Path
) -> None:
    with running_standard_provider() as provider:
        env = provider.console_settings('carol@example.org', dead_engine=tmp_path / 'dead.sock')
        with running_console(tmp_path / 'data', **env) as console:
            provider.register(f'{console.url}/auth/oidc/callback')
            provider.approve_carol()
            wait = WebDriverWait(browser, 30)
            browser.get(f'{console.url}/login')
            wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, '[data-testid=sign-in-oidc]'))).click()
            wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, '[data-testid=page-title]')))
            assert browser.current_url == f'{console.url}/'
            assert browser.get_cookie('homelab_session') is not None
            browser.find_element(By.XPATH, "//button[.//i[text()='account_circle']]").click()
            wait.until(ec.visibility_of_element_located((By.XPATH, "//*[text()='Signed in as oidc:carol']")))
            browser.save_screenshot(str(artifacts / 'oidc-signed-in.png'))
