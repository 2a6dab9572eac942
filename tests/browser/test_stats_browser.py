"""Stats in a real Chromium: an Overview row's numbers change each tick while the table stays the same DOM;
pictures of the Overview, a container's history and the Host page in light, dark and phone width."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.browser_pages import PASSWORD, dark, sign_in
from tests.helpers.console import Console, create_user, running_console
from tests.helpers.rig import require_dev_stack

WEB = 'homelab-dev-web-1'
# The stack's card, its row list and web's row get a mark the browser keeps only on the same DOM nodes; every text
# web's CPU cell shows and every tick time it carries are recorded as they change.
MARK = """
window.__texts = []; window.__ticks = [];
const card = document.querySelector('[data-stack="homelab-dev"]');
const row = document.querySelector('[data-container="WEB"]');
card.__mark = 'card'; row.__mark = 'row'; row.parentElement.__mark = 'rows';
const cpu = row.querySelector('[data-cpu]');
new MutationObserver(() => {
  window.__texts.push(cpu.textContent.trim()); window.__ticks.push(cpu.getAttribute('data-at'));
}).observe(cpu, {subtree: true, attributes: true, characterData: true, childList: true});
""".replace('WEB', WEB)
SURVIVED = """
const card = document.querySelector('[data-stack="homelab-dev"]');
const row = document.querySelector('[data-container="WEB"]');
return [card.__mark, row.parentElement.__mark, row.__mark, row.querySelector('[data-cpu]').isConnected];
""".replace('WEB', WEB)
DRAWER_CLOSED = 'const d = document.querySelector(".q-drawer"); return !d || d.getBoundingClientRect().right <= 0;'
CHARTS_DRAWN = """return [...document.querySelectorAll('[data-chart] canvas, [data-testid=health-timeline] canvas')]
  .filter(c => c.width > 0).length >= 5;"""


@pytest.fixture
def stats_console(tmp_path: Path) -> Iterator[Console]:
    """The console with the stats stand-ins (tests/helpers/stats_console.py) and an admin user."""
    require_dev_stack()
    command = [sys.executable, '-m', 'tests.helpers.stats_console']
    with running_console(tmp_path / 'data', command=command) as running:
        result = create_user(running.env, 'admin', PASSWORD)
        assert result.returncode == 0, result.stderr
        yield running


def test_a_rows_numbers_change_each_tick_in_the_same_table(browser: WebDriver, stats_console: Console) -> None:
    sign_in(browser, stats_console)
    wait = WebDriverWait(browser, 60, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-cpu="{WEB}"]').get_attribute('data-at'))
    browser.execute_script(MARK)
    wait.until(lambda d: len(set(d.execute_script('return window.__ticks'))) >= 4)
    assert browser.execute_script(SURVIVED) == ['card', 'rows', 'row', True]
    # The numbers moved, in the same DOM nodes (a dash while web is down: the dev stack is shared with other tests).
    texts = [text for text in browser.execute_script('return window.__texts') if text != '—']
    assert all(text.endswith(' %') for text in texts), texts
    assert len(set(texts)) >= 2, texts
    sparkline = browser.find_element(By.CSS_SELECTOR, f'[data-container="{WEB}"] svg polyline')
    assert len((sparkline.get_attribute('points') or '').split()) >= 4
    # An SVG line (not an unknown HTML element) in a box of its own size.
    assert browser.execute_script('return arguments[0].namespaceURI', sparkline) == 'http://www.w3.org/2000/svg'
    assert browser.find_element(By.CSS_SELECTOR, f'[data-container="{WEB}"] svg').size['width'] >= 60


def test_stats_pictures(browser: WebDriver, stats_console: Console, artifacts: Path) -> None:
    sign_in(browser, stats_console)
    wait = WebDriverWait(browser, 60, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-cpu="{WEB}"]').get_attribute('data-at'))
    wait.until(lambda d: len(d.find_element(By.CSS_SELECTOR, f'[data-container="{WEB}"] polyline')
                             .get_attribute('points').split()) >= 5)  # fmt: skip
    pages = {
        'overview': ('/', '[data-stack="homelab-dev"]'),
        'container': (f'/containers/{WEB}', '[data-testid=container-history]'),
        'host': ('/host', '[data-testid=top-consumers]'),
    }
    for mode in ('light', 'dark'):
        if mode == 'dark':
            dark(browser, wait)
        for page, (path, css) in pages.items():
            _show(browser, wait, stats_console, path, css)
            browser.save_screenshot(str(artifacts / f'stats-{page}-{mode}.png'))
    # A month: the exits with their codes and the OOM kill pinned on the timeline.
    _show(browser, wait, stats_console, *pages['container'])
    browser.find_element(By.XPATH, '//*[@data-testid="span"]//*[text()="30 d"]').click()
    wait.until(
        lambda d: (
            '30'
            in d.find_element(
                By.CSS_SELECTOR, '[data-testid=span] .q-btn--active, [data-testid=span] [aria-pressed=true]'
            ).text
        )
    )
    wait.until(lambda d: d.execute_script(CHARTS_DRAWN))
    browser.save_screenshot(str(artifacts / 'stats-container-30d-dark.png'))
    # A wide screen: CPU and memory in a column of their own.
    browser.set_window_size(1920, 1080)
    _show(browser, wait, stats_console, '/', '[data-stack="homelab-dev"]')
    wait.until(lambda d: d.find_element(By.XPATH, '//*[text()="CPU · memory"]').is_displayed())
    browser.save_screenshot(str(artifacts / 'stats-overview-wide-dark.png'))
    browser.set_window_size(390, 844)
    for page, (path, css) in pages.items():
        _show(browser, wait, stats_console, path, css)
        wait.until(lambda d: d.execute_script(DRAWER_CLOSED))
        assert browser.execute_script('return document.documentElement.scrollWidth') <= 390, page
        browser.save_screenshot(str(artifacts / f'stats-{page}-phone-dark.png'))


def _show(browser: WebDriver, wait: WebDriverWait[WebDriver], console: Console, path: str, css: str) -> None:
    """Open `path`, wait until its stats are drawn and scroll `css` to the top."""
    browser.get(f'{console.url}{path}')
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, css))
    if 'containers' in path:
        wait.until(lambda d: d.execute_script(CHARTS_DRAWN))
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-restarts-week]'))
    if path == '/host':
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-usage^="now:"]'))
    browser.execute_script(f'document.querySelector({css!r}).scrollIntoView()')
