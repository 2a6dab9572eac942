"""What browser tests do on the console's pages: sign in as admin, wait for text, switch to dark mode."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.console import Console

PASSWORD = 'correct horse battery staple'
# What a lookup may raise while the page re-renders: a wait that meets one of these tries again.
FLAKY = (NoSuchElementException, StaleElementReferenceException)


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
    try:
        said = '\n'.join(f'{e.get("level")} {e.get("message")}' for e in driver.get_log('browser'))
    except Exception as err:  # a driver without the log capability
        said = f'(no browser log: {type(err).__name__})'
    return (
        f'at {driver.current_url!r} (title {driver.title!r}), screenshot {shot}\n'
        f'page ({len(page)} chars): {page[:1500]}\nbrowser console:\n{said[-3000:]}\n'
        f'console log:\n{console.log()[-3000:]}'
    )


def shows(css: str, text: str) -> Callable[[WebDriver], bool]:
    """Rows re-render as engine events arrive, so look the element up afresh on every try."""
    return lambda driver: text in driver.find_element(By.CSS_SELECTOR, css).text


def dark(browser: WebDriver, wait: WebDriverWait[WebDriver]) -> None:
    """Switch to dark mode and wait until Quasar's colour fade is over."""
    browser.find_element(By.CSS_SELECTOR, '[data-testid=dark-toggle]').click()
    wait.until(lambda d: 'body--dark' in (d.find_element(By.TAG_NAME, 'body').get_attribute('class') or ''))
    wait.until(
        lambda d: d.execute_script(
            'const c = getComputedStyle(document.querySelector("[data-nav=Logs]")).color.match(/\\d+/g);'
            'return c && Number(c[0]) > 200;'
        )
    )
