"""Browser-test fixtures: a real headless Chromium, a real `homelab serve` process and a signed-in helper."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.console import Console, create_user, running_console
from tests.helpers.rig import require_browser, require_dev_stack

PASSWORD = 'correct horse battery staple'


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    driver = start_chromium(tmp_path)
    try:
        yield driver
    finally:
        driver.quit()


def start_chromium(tmp_path: Path, *extra_flags: str, insecure_certs: bool = False) -> WebDriver:
    """Headless Chromium with its own profile under tmp_path (insecure_certs: accept self-signed certificates)."""
    chromium, driver_path = require_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    options.accept_insecure_certs = insecure_certs
    for flag in (
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
        '--window-size=1400,900',
        f'--user-data-dir={tmp_path / "chromium"}',
        *extra_flags,
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver_path), options=options)


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    require_dev_stack()
    with running_console(tmp_path / 'data') as running:
        result = create_user(running.env, 'admin', PASSWORD)
        assert result.returncode == 0, result.stderr
        yield running


def sign_in(driver: WebDriver, console: Console) -> None:
    driver.get(f'{console.url}/')
    # A fresh console's first page, on a machine busy with the rest of the suite, may take a while to render.
    wait = WebDriverWait(driver, 60)
    try:
        form = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, 'input[autocomplete=username]')))
    except TimeoutException:
        raise AssertionError(f'no sign-in form: {what_the_browser_shows(driver, console)}') from None
    form.send_keys('admin')
    driver.find_element(By.CSS_SELECTOR, 'input[autocomplete=current-password]').send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, '[data-testid=sign-in]').click()


def what_the_browser_shows(driver: WebDriver, console: Console) -> str:
    """Where the browser is, what it rendered and what the console logged: for whoever reads a failure."""
    shot = Path(__file__).resolve().parents[2] / 'test-artifacts' / 'sign-in-timeout.png'
    shot.parent.mkdir(exist_ok=True)
    driver.save_screenshot(str(shot))
    page = driver.page_source
    return (
        f'at {driver.current_url!r} (title {driver.title!r}), screenshot {shot}\n'
        f'page ({len(page)} chars): {page[:1500]}\nconsole log:\n{console.log()[-3000:]}'
    )


def shows(css: str, text: str) -> Callable[[WebDriver], bool]:
    """Rows re-render as engine events arrive, so look the element up afresh on every try."""
    return lambda driver: text in driver.find_element(By.CSS_SELECTOR, css).text
