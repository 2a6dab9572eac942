"""A real Chromium: sign-out from the menu, redirect_to that stays on the console, no scripts from elsewhere."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from app.auth.sessions import COOKIE
from tests.helpers.browser_pages import PASSWORD, sign_in
from tests.helpers.console import Console

PAGE_TITLE = (By.CSS_SELECTOR, '[data-testid=page-title]')
ACCOUNT = (By.XPATH, "//button[.//i[normalize-space()='account_circle']]")


def on_path(driver: WebDriver, path: str) -> bool:
    return urlsplit(driver.current_url).path == path


def test_sign_in_then_sign_out_from_the_menu_ends_the_session(browser: WebDriver, console: Console) -> None:
    wait = WebDriverWait(browser, 30)
    sign_in(browser, console)
    wait.until(ec.presence_of_element_located(PAGE_TITLE))
    session = browser.get_cookie(COOKIE)
    assert session is not None
    wait.until(ec.element_to_be_clickable(ACCOUNT)).click()
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, '[data-testid=sign-out]'))).click()
    wait.until(lambda driver: on_path(driver, '/login'))
    assert browser.get_cookie(COOKIE) is None
    browser.get(f'{console.url}/operations')
    wait.until(lambda driver: on_path(driver, '/login'))
    # The old cookie is dead on the server too, not just forgotten by the browser.
    replay = httpx.get(f'{console.url}/', cookies={COOKIE: session['value']}, follow_redirects=False, timeout=10)
    assert replay.status_code == 303 and replay.headers['location'].startswith('/login')


def test_a_sign_out_link_only_asks(browser: WebDriver, console: Console) -> None:
    wait = WebDriverWait(browser, 30)
    sign_in(browser, console)
    wait.until(ec.presence_of_element_located(PAGE_TITLE))
    browser.get(f'{console.url}/logout')  # what a link from anywhere does
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, '[data-testid=sign-out]')))
    browser.get(f'{console.url}/')
    wait.until(ec.presence_of_element_located(PAGE_TITLE))  # still signed in
    browser.get(f'{console.url}/logout')
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, '[data-testid=sign-out]'))).click()
    wait.until(lambda driver: on_path(driver, '/login'))
    assert browser.get_cookie(COOKIE) is None


def test_a_tab_in_redirect_to_lands_on_the_console(browser: WebDriver, console: Console) -> None:
    wait = WebDriverWait(browser, 30)
    evil = '/login?redirect_to=%2F%09%2Fevil.example%2F'
    # Signed in already, /login forwards at once in the browser (which drops the TAB: '//evil.example/').
    sign_in(browser, console)
    wait.until(ec.presence_of_element_located(PAGE_TITLE))
    browser.get(f'{console.url}{evil}')
    wait.until(lambda driver: not on_path(driver, '/login'))
    assert urlsplit(browser.current_url).netloc == urlsplit(console.url).netloc, browser.current_url
    wait.until(ec.presence_of_element_located(PAGE_TITLE))
    # And a sign-in that starts from the same link ends on the Overview.
    browser.delete_all_cookies()
    browser.get(f'{console.url}{evil}')
    sign_in_here(browser)
    wait.until(ec.presence_of_element_located(PAGE_TITLE))
    assert urlsplit(browser.current_url).netloc == urlsplit(console.url).netloc
    assert urlsplit(browser.current_url).path == '/'


def sign_in_here(driver: WebDriver) -> None:
    wait = WebDriverWait(driver, 20)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, 'input[autocomplete=username]'))).send_keys('admin')
    driver.find_element(By.CSS_SELECTOR, 'input[autocomplete=current-password]').send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, '[data-testid=sign-in]').click()


class _Script(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'window.foreignScriptRan = true;'
        self.send_response(200)
        self.send_header('Content-Type', 'text/javascript')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def foreign_script() -> Iterator[str]:
    """A script on another origin (another loopback port): what an injected <script src> would load."""
    server = ThreadingHTTPServer(('127.0.0.1', 0), _Script)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}/probe.js'
    finally:
        server.shutdown()
        server.server_close()


INJECT = """
const [src, done] = arguments;
document.addEventListener('securitypolicyviolation', (e) => done('blocked by ' + e.effectiveDirective));
const script = document.createElement('script');
script.src = src;
script.onload = () => done(window.foreignScriptRan ? 'ran' : 'loaded');
script.onerror = () => setTimeout(() => done('error'), 500);
document.head.appendChild(script);
"""


def test_pages_work_and_scripts_from_other_origins_do_not_run(
    browser: WebDriver, console: Console, foreign_script: str
) -> None:
    csp = httpx.get(f'{console.url}/login', timeout=10).headers['content-security-policy']
    assert "script-src 'self' 'unsafe-inline' 'unsafe-eval'" in csp
    assert httpx.get(foreign_script, timeout=5).status_code == 200  # it is there to be loaded
    wait = WebDriverWait(browser, 30)
    sign_in(browser, console)
    wait.until(ec.presence_of_element_located(PAGE_TITLE))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, '[data-stack=homelab-dev]')))
    browser.set_script_timeout(10)
    assert browser.execute_async_script(INJECT, foreign_script) == 'blocked by script-src-elem'
    assert browser.execute_script('return window.foreignScriptRan === undefined')
