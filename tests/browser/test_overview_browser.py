"""The Overview in a real Chromium: a restarted container's badge changes live, label text stays text; light, dark and
phone pictures."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import docker
import docker.errors
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from ops.docker.labels import PROJECT_LABEL, SERVICE_LABEL
from tests.helpers.browser_pages import shows, sign_in
from tests.helpers.console import Console
from tests.helpers.docker_ops import BASE_IMAGE, docker_client

WEB = 'homelab-dev-web-1'
# Every state/health value the web row shows, recorded in the page as it changes (no reload in between).
RECORD = """
window.__seen = [];
const row = document.querySelector('[data-container="WEB"]');
const note = () => row.querySelectorAll('[data-state], [data-health]').forEach(
  el => window.__seen.push(el.getAttribute('data-state') || el.getAttribute('data-health')));
new MutationObserver(note).observe(row, {subtree: true, attributes: true, characterData: true, childList: true});
""".replace('WEB', WEB)

# The navigation drawer slides away below Quasar's breakpoint; the picture waits until it is out of view.
DRAWER_CLOSED = 'const d = document.querySelector(".q-drawer"); return !d || d.getBoundingClientRect().right <= 0;'


def test_restarting_web_changes_its_badge_without_a_reload(browser: WebDriver, console: Console) -> None:
    sign_in(browser, console)
    wait = WebDriverWait(browser, 60, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
    wait.until(shows(f'[data-health="{WEB}:healthy"]', 'healthy'))
    browser.execute_script(RECORD)
    client = docker.DockerClient(base_url=os.environ.get('DOCKER_HOST') or 'unix:///var/run/docker.sock')
    try:
        client.api.restart(WEB, timeout=1)
    finally:
        client.close()
    unhealthy = {f'{WEB}:none', f'{WEB}:starting', f'{WEB}:exited', f'{WEB}:restarting'}
    wait.until(lambda driver: unhealthy & set(driver.execute_script('return window.__seen')))
    wait.until(shows(f'[data-health="{WEB}:healthy"]', 'healthy'))
    # Still the same page: the recorder installed before the restart is still there.
    assert browser.execute_script('return Array.isArray(window.__seen)')


def test_a_containers_labels_are_shown_as_text(browser: WebDriver, console: Console) -> None:
    """Compose labels are anyone's text: markup in a service name is shown as written, never run or rendered."""
    name, hostile = 'homelab-test-escape-1', '<img src=x onerror="window.__pwned=1">{{ 7*7 }}'
    client = docker_client()
    with contextlib.suppress(docker.errors.NotFound):
        client.api.remove_container(name, force=True)
    labels = {PROJECT_LABEL: '<b>esc</b>', SERVICE_LABEL: hostile, 'homelab.test': 'true'}
    client.api.create_container(BASE_IMAGE, ['true'], name=name, labels=labels)
    try:
        sign_in(browser, console)
        wait = WebDriverWait(browser, 30, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
        wait.until(shows(f'[data-container="{name}"]', f'service {hostile}'))
        assert not browser.find_elements(By.CSS_SELECTOR, f'[data-container="{name}"] img')
        assert '<b>esc</b>' in browser.find_element(By.CSS_SELECTOR, '[data-stack="<b>esc</b>"]').text
        assert browser.execute_script('return window.__pwned') is None
    finally:
        client.api.remove_container(name, force=True)
        client.close()


def test_overview_pictures(browser: WebDriver, console: Console, artifacts: Path) -> None:
    sign_in(browser, console)
    wait = WebDriverWait(browser, 30, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
    wait.until(shows(f'[data-health="{WEB}:healthy"]', 'healthy'))
    wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, '[data-signal^="disk:"]'))
    wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, f'[data-container="{WEB}"] [data-restarts]'))
    browser.save_screenshot(str(artifacts / 'overview-stacks-light.png'))
    browser.find_element(By.CSS_SELECTOR, '[data-testid=dark-toggle]').click()
    wait.until(lambda driver: 'body--dark' in (driver.find_element(By.TAG_NAME, 'body').get_attribute('class') or ''))
    wait.until(
        lambda driver: driver.execute_script(
            'const c = getComputedStyle(document.querySelector("[data-nav=Logs]")).color.match(/\\d+/g);'
            'return c && Number(c[0]) > 200;'
        )
    )
    ActionChains(browser).move_to_element(browser.find_element(By.CSS_SELECTOR, '[data-stack=homelab-dev]')).perform()
    browser.save_screenshot(str(artifacts / 'overview-stacks-dark.png'))
    browser.set_window_size(390, 844)
    browser.refresh()  # what a phone gets: the page laid out at its width, the drawer closed
    wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, f'[data-container="{WEB}"] [data-restarts]'))
    wait.until(lambda driver: driver.execute_script(DRAWER_CLOSED))
    assert browser.execute_script('return document.documentElement.scrollWidth') <= 390
    browser.save_screenshot(str(artifacts / 'overview-stacks-phone-dark.png'))
