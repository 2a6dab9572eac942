"""What browser tests do on the console's pages: sign in as admin, wait for text, switch to dark mode."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.console import Console

PASSWORD = 'correct horse battery staple'
# What a lookup may raise while the page re-renders: a wait that meets one of these tries again.
FLAKY = (NoSuchElementException, StaleElementReferenceException)


def sign_in(driver: WebDriver, console: Console) -> None:
    form = open_page(driver, console, '/', 'input[autocomplete=username]', what='sign-in form')
    form.send_keys('admin')
    driver.find_element(By.CSS_SELECTOR, 'input[autocomplete=current-password]').send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, '[data-testid=sign-in]').click()


class PageNotShown(TimeoutException):
    """A page whose element never showed; `said` is what the browser's console logged (read once, so kept here)."""

    def __init__(self, said: str) -> None:
        super().__init__('the page never showed the element')
        self.said = said


def open_page(
    driver: WebDriver, console: Console, path: str, css: str, *, what: str, timeout: float = 60
) -> WebElement:
    """Load a page of `console` and wait for an element of it (see `load_page`); a page that never shows it fails
    with what the browser shows and what the console logged."""
    try:
        return load_page(driver, f'{console.url}{path}', css, timeout=timeout)
    except PageNotShown as err:
        raise AssertionError(f'no {what}: {what_the_browser_shows(driver, console, err.said)}') from None


def load_page(driver: WebDriver, url: str, css: str, *, timeout: float = 60) -> WebElement:
    """Load `url` and wait for an element of it. Chromium drops a load the host's network changed under
    (`net::ERR_NETWORK_CHANGED`: Docker adds or removes a container's veth, as the dev stack's flaky container does
    every 20 s) and the page stays blank; only such a load is tried once more. PageNotShown otherwise."""
    for attempt in (1, 2):
        driver.get(url)
        try:
            # A fresh console's first page, on a machine busy with the rest of the suite, may take a while to render.
            return WebDriverWait(driver, timeout).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))
        except TimeoutException:
            said = browser_console(driver)
            if attempt == 1 and 'ERR_NETWORK_CHANGED' in said:
                continue
            raise PageNotShown(said) from None
    raise AssertionError('unreachable')


def browser_console(driver: WebDriver) -> str:
    """What the page's JavaScript console said (and forgot, once read)."""
    try:
        return '\n'.join(f'{e.get("level")} {e.get("message")}' for e in driver.get_log('browser'))
    except Exception as err:  # a driver without the log capability
        return f'(no browser log: {type(err).__name__})'


def what_the_browser_shows(driver: WebDriver, console: Console, said: str = '') -> str:
    """Where the browser is, what it rendered and what the console logged: for whoever reads a failure."""
    shot = Path(__file__).resolve().parents[2] / 'test-artifacts' / 'sign-in-timeout.png'
    shot.parent.mkdir(exist_ok=True)
    driver.save_screenshot(str(shot))
    page = driver.page_source
    said = said or browser_console(driver)
    return (
        f'at {driver.current_url!r} (title {driver.title!r}), screenshot {shot}\n'
        f'page ({len(page)} chars): {page[:1500]}\nbrowser console:\n{said[-3000:]}\n'
        f'console log:\n{console.log()[-3000:]}'
    )


def shows(css: str, text: str) -> Callable[[WebDriver], bool]:
    """Rows re-render as engine events arrive, so look the element up afresh on every try."""
    return lambda driver: text in driver.find_element(By.CSS_SELECTOR, css).text


def clicked(css: str) -> Callable[[WebDriver], bool]:
    """Click an element of a live table: it may be re-rendered between the lookup and the click, so try afresh."""

    def click(driver: WebDriver) -> bool:
        driver.find_element(By.CSS_SELECTOR, css).click()
        return True

    return click


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
