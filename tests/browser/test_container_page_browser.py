"""The container page in a real headless Chromium: summary, live badges, actions and log, light and dark."""

from __future__ import annotations

from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.browser_pages import dark, shows, sign_in
from tests.helpers.console import Console


def test_the_container_page_of_an_unhealthy_container(browser: WebDriver, console: Console, artifacts: Path) -> None:
    sign_in(browser, console)
    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))
    wait.until(lambda d: '/login' not in d.current_url)
    browser.get(f'{console.url}/containers/homelab-dev-sick-1')
    wait.until(shows('[data-testid=container-name]', 'homelab-dev-sick-1'))
    wait.until(shows('[data-testid=health-badge]', 'unhealthy'))
    wait.until(shows('[data-testid=summary]', 'dependency unreachable'))
    wait.until(shows('.log-view', 'sick: up'))
    assert browser.find_elements(By.CSS_SELECTOR, '[data-op=docker_restart]')
    browser.save_screenshot(str(artifacts / 'container-light.png'))
    dark(browser, wait)
    browser.save_screenshot(str(artifacts / 'container-dark.png'))
    browser.find_element(By.CSS_SELECTOR, '[data-op=docker_restart]').click()
    wait.until(shows('[data-testid=confirm-dialog]', 'This changes the host'))
    browser.save_screenshot(str(artifacts / 'container-confirm.png'))
    browser.find_element(By.CSS_SELECTOR, '[data-testid=confirm-no]').click()
    browser.set_window_size(390, 844)
    browser.refresh()
    wait.until(shows('.log-view', 'sick: up'))
    browser.save_screenshot(str(artifacts / 'container-phone.png'))


def test_an_unknown_container_says_so(browser: WebDriver, console: Console, artifacts: Path) -> None:
    sign_in(browser, console)
    wait = WebDriverWait(browser, 30)
    wait.until(lambda d: '/login' not in d.current_url)
    browser.get(f'{console.url}/containers/no-such-box')
    wait.until(shows('[data-testid=no-container]', 'No such container'))
    browser.save_screenshot(str(artifacts / 'container-missing.png'))
