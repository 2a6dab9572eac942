"""A real headless Chromium against the real console and engine: sign in and see the dev stack."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.console import Console, create_user, running_console
from tests.helpers.rig import require_browser, require_dev_stack

PASSWORD = 'correct horse battery staple'


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    chromium, driver_path = require_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
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
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    require_dev_stack()
    with running_console(tmp_path / 'data') as running:
        result = create_user(running.env, 'admin', PASSWORD)
        assert result.returncode == 0, result.stderr
        yield running


def sign_in(driver: WebDriver, console: Console) -> None:
    driver.get(f'{console.url}/')
    wait = WebDriverWait(driver, 20)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, 'input[autocomplete=username]'))).send_keys('admin')
    driver.find_element(By.CSS_SELECTOR, 'input[autocomplete=current-password]').send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, '[data-testid=sign-in]').click()


def shows(css: str, text: str) -> Callable[[WebDriver], bool]:
    """Rows re-render as engine events arrive, so look the element up afresh on every try."""
    return lambda driver: text in driver.find_element(By.CSS_SELECTOR, css).text


def test_sign_in_and_see_web_healthy(browser: WebDriver, console: Console, artifacts: Path) -> None:
    sign_in(browser, console)
    wait = WebDriverWait(browser, 30, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
    wait.until(shows('[data-health="homelab-dev-web-1:healthy"]', 'healthy'))
    wait.until(shows('[data-health="homelab-dev-sick-1:unhealthy"]', 'unhealthy'))
    wait.until(shows('.q-table', 'homelab-dev-web-1'))
    browser.save_screenshot(str(artifacts / 'overview-light.png'))
    browser.find_element(By.CSS_SELECTOR, '[data-testid=dark-toggle]').click()
    wait.until(lambda driver: 'body--dark' in (driver.find_element(By.TAG_NAME, 'body').get_attribute('class') or ''))
    ActionChains(browser).move_to_element(browser.find_element(By.CSS_SELECTOR, '.q-table')).perform()
    # Quasar fades colours over; wait until the navigation text is light before taking the picture.
    wait.until(
        lambda driver: driver.execute_script(
            'const c = getComputedStyle(document.querySelector("[data-nav=Logs]")).color.match(/\\d+/g);'
            'return c && Number(c[0]) > 200;'
        )
    )
    browser.save_screenshot(str(artifacts / 'overview-dark.png'))


def test_login_page_looks_right(browser: WebDriver, console: Console, artifacts: Path) -> None:
    browser.get(f'{console.url}/login')
    WebDriverWait(browser, 20).until(ec.presence_of_element_located((By.CSS_SELECTOR, '[data-testid=sign-in]')))
    assert 'sign up' not in browser.page_source.lower()
    assert 'register' not in browser.page_source.lower()
    browser.save_screenshot(str(artifacts / 'login.png'))


def test_phone_width_overview(browser: WebDriver, console: Console, artifacts: Path) -> None:
    browser.set_window_size(390, 844)
    sign_in(browser, console)
    WebDriverWait(browser, 30).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, '[data-health="homelab-dev-web-1:healthy"]'))
    )
    # On a phone every container is a card (no sideways scrolling) that still carries its badges.
    assert not browser.find_elements(By.CSS_SELECTOR, '.q-table tbody tr')
    assert browser.find_elements(By.CSS_SELECTOR, '.q-table__grid-content .q-card')
    browser.save_screenshot(str(artifacts / 'overview-phone.png'))
