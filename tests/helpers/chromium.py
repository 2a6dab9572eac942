"""A real headless Chromium for the browser tests: `start_chromium` and the `browser` fixture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from tests.helpers.rig import require_browser


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    driver = start_chromium(tmp_path)
    try:
        yield driver
    finally:
        driver.quit()


def start_chromium(tmp_path: Path, *extra_flags: str, insecure_certs: bool = False) -> WebDriver:
    """Headless Chromium with its own profile under tmp_path (insecure_certs: accept self-signed certificates)."""
    chromium, driver_path = require_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    options.accept_insecure_certs = insecure_certs
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
        *extra_flags,
    ):
        options.add_argument(flag)
    # The page's JavaScript console, for whoever reads a failure (a page that never rendered says why there).
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    return webdriver.Chrome(service=Service(driver_path), options=options)
