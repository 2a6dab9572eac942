"""A real headless Chromium against the real console and engine: sign in and see the dev stack."""

from __future__ import annotations

from pathlib import Path

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.browser_pages import open_page, shows, sign_in
from tests.helpers.console import Console


def test_sign_in_and_see_web_healthy(browser: WebDriver, console: Console, artifacts: Path) -> None:
    sign_in(browser, console)
    wait = WebDriverWait(browser, 30, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
    wait.until(shows('[data-health="homelab-dev-web-1:healthy"]', 'healthy'))
    wait.until(shows('[data-health="homelab-dev-sick-1:unhealthy"]', 'unhealthy'))
    wait.until(shows('[data-stack=homelab-dev]', 'homelab-dev-web-1'))
    browser.save_screenshot(str(artifacts / 'overview-light.png'))
    browser.find_element(By.CSS_SELECTOR, '[data-testid=dark-toggle]').click()
    wait.until(lambda driver: 'body--dark' in (driver.find_element(By.TAG_NAME, 'body').get_attribute('class') or ''))
    ActionChains(browser).move_to_element(browser.find_element(By.CSS_SELECTOR, '[data-stack=homelab-dev]')).perform()
    # Quasar fades colours over; wait until the navigation text is light before taking the picture.
    wait.until(
        lambda driver: driver.execute_script(
            'const c = getComputedStyle(document.querySelector("[data-nav=Logs]")).color.match(/\\d+/g);'
            'return c && Number(c[0]) > 200;'
        )
    )
    browser.save_screenshot(str(artifacts / 'overview-dark.png'))


def test_login_page_looks_right(browser: WebDriver, console: Console, artifacts: Path) -> None:
    open_page(browser, console, '/login', '[data-testid=sign-in]', what='sign-in page', timeout=20)
    assert 'sign up' not in browser.page_source.lower()
    assert 'register' not in browser.page_source.lower()
    browser.save_screenshot(str(artifacts / 'login.png'))


def test_phone_width_overview(browser: WebDriver, console: Console, artifacts: Path) -> None:
    browser.set_window_size(390, 844)
    sign_in(browser, console)
    WebDriverWait(browser, 30).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, '[data-health="homelab-dev-web-1:healthy"]'))
    )
    # On a phone the rows wrap (name, then badges, then image): nothing scrolls sideways.
    assert browser.execute_script('return document.documentElement.scrollWidth') <= 390
    assert browser.find_elements(By.CSS_SELECTOR, '[data-container=homelab-dev-web-1] [data-state]')
    browser.save_screenshot(str(artifacts / 'overview-phone.png'))
