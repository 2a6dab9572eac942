"""A real Chromium: a run started in one tab appears on the open Runs and Audit pages of others, without a reload."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.browser_pages import FLAKY, clicked, dark, sign_in
from tests.helpers.console import Console


def test_a_run_shows_up_on_runs_and_audit_pages_that_are_already_open(
    browser: WebDriver, console: Console, artifacts: Path
) -> None:
    sign_in(browser, console)
    wait = WebDriverWait(browser, 30, ignored_exceptions=FLAKY)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid=page-title]'))
    browser.get(f'{console.url}/runs')
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid=run-table]'))
    runs_tab = browser.current_window_handle
    browser.switch_to.new_window('tab')
    browser.get(f'{console.url}/audit')
    wait.until(lambda d: 'Chain intact' in d.find_element(By.CSS_SELECTOR, '[data-testid=chain-status]').text)
    audit_tab = browser.current_window_handle

    browser.switch_to.new_window('tab')
    browser.get(f'{console.url}/operations')
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid=run-host_reboot_required]')).click()
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-run] [data-state=succeeded]'))
    run_id = browser.find_element(By.CSS_SELECTOR, '[data-run]').get_attribute('data-run')
    browser.close()

    browser.switch_to.window(runs_tab)
    row_text = wait.until(
        lambda d: (
            d.find_element(By.CSS_SELECTOR, f'[data-run-state="{run_id}:succeeded"]')
            .find_element(By.XPATH, './../..')
            .text
        )
    )
    assert 'host_reboot_required' in row_text and 'ui:admin' in row_text
    browser.save_screenshot(str(artifacts / 'runs-light.png'))

    browser.switch_to.window(audit_tab)
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-audit-kind="{run_id}:finished"]'))
    assert browser.find_elements(By.CSS_SELECTOR, f'[data-audit-kind="{run_id}:requested"]')
    browser.save_screenshot(str(artifacts / 'audit-light.png'))
    dark(browser, wait)
    browser.save_screenshot(str(artifacts / 'audit-dark.png'))

    browser.switch_to.window(runs_tab)
    browser.refresh()  # the dark choice is stored per user; this tab picks it up on its next load
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-run-link="{run_id}"]'))
    browser.save_screenshot(str(artifacts / 'runs-dark.png'))
    wait.until(clicked(f'[data-run-link="{run_id}"]'))  # the live table may re-render the row meanwhile
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid=run-result]'))
    assert 'ui:admin' in browser.find_element(By.CSS_SELECTOR, '[data-fact=actor]').text
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-audit-kind="{run_id}:finished"]'))
    browser.save_screenshot(str(artifacts / 'run-detail-dark.png'))
    browser.find_element(By.CSS_SELECTOR, '[data-testid=dark-toggle]').click()
    wait.until(lambda d: 'body--dark' not in (d.find_element(By.TAG_NAME, 'body').get_attribute('class') or ''))
    browser.save_screenshot(str(artifacts / 'run-detail-light.png'))


def test_phone_width_operations_and_runs(browser: WebDriver, console: Console, artifacts: Path) -> None:
    browser.set_window_size(390, 844)
    sign_in(browser, console)
    wait = WebDriverWait(browser, 30, ignored_exceptions=FLAKY)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid=page-title]'))
    browser.get(f'{console.url}/operations')
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid=run-host_reboot_required]')).click()
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-run] [data-state=succeeded]'))
    # Nothing wider than the phone: no sideways scrolling on the catalog.
    assert browser.execute_script('return document.documentElement.scrollWidth') <= 390
    browser.save_screenshot(str(artifacts / 'operations-phone.png'))
    browser.get(f'{console.url}/runs')
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-run-state]'))
    browser.save_screenshot(str(artifacts / 'runs-phone.png'))
