"""The Host page in a real Chromium: trend charts and disk bars drawn; light, dark and phone pictures."""

from __future__ import annotations

from pathlib import Path

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.browser_pages import sign_in
from tests.helpers.console import Console

# The navigation drawer slides away below Quasar's breakpoint; the picture waits until it is out of view.
DRAWER_CLOSED = 'const d = document.querySelector(".q-drawer"); return !d || d.getBoundingClientRect().right <= 0;'


def test_host_page_draws_charts_and_disk_bars(browser: WebDriver, console: Console, artifacts: Path) -> None:
    sign_in(browser, console)
    wait = WebDriverWait(browser, 30, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
    wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, '[data-testid=signal-strip]'))
    browser.get(f'{console.url}/host')
    # ECharts draws on a canvas once it has a size and data; the sampler's first point comes a second after start.
    wait.until(lambda driver: len(driver.find_elements(By.CSS_SELECTOR, '[data-testid=usage-chart] canvas')) >= 1)
    wait.until(lambda driver: len(driver.find_elements(By.CSS_SELECTOR, '[data-testid=load-chart] canvas')) >= 1)
    wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, '[data-filesystem="/"] .q-linear-progress'))
    wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, '[data-docker-disk=images]'))
    browser.save_screenshot(str(artifacts / 'host-light.png'))
    browser.find_element(By.CSS_SELECTOR, '[data-testid=dark-toggle]').click()
    wait.until(lambda driver: 'body--dark' in (driver.find_element(By.TAG_NAME, 'body').get_attribute('class') or ''))
    wait.until(
        lambda driver: driver.execute_script(
            'const c = getComputedStyle(document.querySelector("[data-nav=Logs]")).color.match(/\\d+/g);'
            'return c && Number(c[0]) > 200;'
        )
    )
    ActionChains(browser).move_to_element(browser.find_element(By.CSS_SELECTOR, '[data-testid=disk-panel]')).perform()
    browser.save_screenshot(str(artifacts / 'host-dark.png'))
    browser.set_window_size(390, 844)
    browser.refresh()  # what a phone gets: the page laid out at its width, the drawer closed
    wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, '[data-filesystem="/"] .q-linear-progress'))
    wait.until(lambda driver: driver.execute_script(DRAWER_CLOSED))
    assert browser.execute_script('return document.documentElement.scrollWidth') <= 390
    browser.save_screenshot(str(artifacts / 'host-phone-dark.png'))
