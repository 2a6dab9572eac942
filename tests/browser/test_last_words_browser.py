"""The page of a removed container in a real headless Chromium: its last words, light, dark and phone width."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import docker.errors
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.browser_pages import dark, open_page, sign_in
from tests.helpers.console import Console
from tests.helpers.docker_ops import BASE_IMAGE, docker_client, unique

# A server that fails at start: a long log, colour codes, markup (shown as text) and a secret that must not show.
# All on stdout: the engine copies stdout and stderr through two pipes, so a stderr line written after a flood on
# stdout may land in the log before the flood's end (the last 1,000 lines would then not hold it).
CRASH = (
    'i=1; while [ $i -le 1500 ]; do echo "worker: processed job $i in 12 ms"; i=$((i+1)); done; '
    r'printf "\033[33mWARN\033[0m config: DB_PASSWORD=$DB_PASSWORD from the environment\n"; '
    'echo "<b>not markup</b>: reading /config/app.yml"; '
    r'printf "\033[31mERROR\033[0m cannot connect to postgres://app:$DB_PASSWORD@db:5432/app\n"; '
    'echo "fatal: giving up after 3 tries"; exit 3'
)


def test_a_removed_container_shows_its_last_words(browser: WebDriver, console: Console, artifacts: Path) -> None:
    secret = 'hl-browser-secret-7781'
    client = docker_client()
    name = unique('hl-lastwords')
    sign_in(browser, console)
    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))
    wait.until(lambda d: '/login' not in d.current_url)
    container = client.containers.run(
        BASE_IMAGE,
        ['sh', '-c', CRASH],
        name=name,
        detach=True,
        environment={'DB_PASSWORD': secret},
        labels={'homelab.test': 'true'},
    )
    try:
        # It dies by itself (its log still there): the page of the stopped container shows its words, folded.
        open_page(browser, console, f'/containers/{name}', '[data-testid=last-words]', what='its last words')
        container.remove()
        open_page(browser, console, f'/containers/{name}', '[data-testid=removed-container]', what='the removed page')
        wait.until(holds('[data-testid=last-words-lines]', 'fatal: giving up after 3 tries'))
        text = (
            browser.find_element(By.CSS_SELECTOR, '[data-testid=last-words-lines]').get_attribute('textContent') or ''
        )
        assert '<b>not markup</b>' in text and secret not in text and 'DB_PASSWORD=(hidden)' in text
        assert not browser.find_elements(By.CSS_SELECTOR, '[data-testid=last-words-lines] b')
        assert 'exit code 3' in browser.find_element(By.CSS_SELECTOR, '[data-field=ended]').text
        browser.save_screenshot(str(artifacts / 'last-words-light.png'))
        dark(browser, wait)
        browser.save_screenshot(str(artifacts / 'last-words-dark.png'))
        browser.set_window_size(390, 844)
        browser.refresh()
        wait.until(holds('[data-testid=last-words-lines]', 'fatal: giving up after 3 tries'))
        browser.save_screenshot(str(artifacts / 'last-words-phone.png'))
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)
        client.close()


def holds(css: str, text: str) -> Callable[[WebDriver], bool]:
    """The element's text holds `text`, scrolled into view or not (Selenium's .text is only what is in view)."""
    return lambda driver: text in (driver.find_element(By.CSS_SELECTOR, css).get_attribute('textContent') or '')
