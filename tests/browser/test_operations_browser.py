"""A real Chromium: pull a fresh image version through the Operations page and watch its layers reach 100%."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.browser_pages import FLAKY, PASSWORD, dark, sign_in
from tests.helpers.console import Console, create_user, running_console
from tests.helpers.docker_ops import (
    APP_REPOSITORY,
    delete_registry_manifests,
    docker_client,
    push_app_version,
    registry_digest,
    remove_images,
    require_registry,
    unique,
)
from tests.helpers.rig import require_dev_stack


@dataclass
class Outdated:
    """A container of our own whose image tag moved on in the registry: a pull has a layer to fetch."""

    container: str
    image: str


@pytest.fixture
def outdated() -> Iterator[Outdated]:
    require_dev_stack()
    require_registry()
    tag = unique('hl-test')
    image, name, digests = f'{APP_REPOSITORY}:{tag}', unique(), []
    client = docker_client()
    try:
        push_app_version(tag, f'{tag}-v1')
        digests.append(registry_digest(tag))
        client.images.pull(image)
        client.containers.create(image, name=name, labels={'homelab.test': 'true'})
        push_app_version(tag, f'{tag}-v2')
        digests.append(registry_digest(tag))
        yield Outdated(name, image)
    finally:
        with contextlib.suppress(Exception):
            client.api.remove_container(name, force=True)
        mine = {f'{APP_REPOSITORY}@{digest}' for digest in digests}
        ids = [i.id for i in client.images.list() if mine & set(i.attrs.get('RepoDigests') or [])]
        remove_images(image, *ids)
        delete_registry_manifests(*digests)
        client.close()


@pytest.fixture
def prod_console(tmp_path: Path) -> Iterator[Console]:
    """HOMELAB_ENV=prod: our throwaway container is outside homelab-dev, and changes to it are allowed."""
    require_dev_stack()
    # Production insists on an explicit session secret; a fresh random one per test.
    secret = secrets.token_urlsafe(48)
    with running_console(tmp_path / 'data', HOMELAB_ENV='prod', HOMELAB_STORAGE_SECRET=secret) as running:
        assert create_user(running.env, 'admin', PASSWORD).returncode == 0
        yield running


def test_a_pull_shows_each_layer_reaching_100_percent(
    browser: WebDriver, prod_console: Console, outdated: Outdated, artifacts: Path
) -> None:
    sign_in(browser, prod_console)
    wait = WebDriverWait(browser, 60, ignored_exceptions=FLAKY)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid=page-title]'))
    browser.get(f'{prod_console.url}/operations')
    choose(browser, 'docker_pull.container', outdated.container)
    browser.find_element(By.CSS_SELECTOR, '[data-testid=run-docker_pull]').click()
    # The dialog's element exists before its content is drawn: wait for what it must say.
    wait.until(
        lambda d: (
            f'container {outdated.container}' in d.find_element(By.CSS_SELECTOR, '[data-testid=confirm-dialog]').text
        )
    )
    browser.find_element(By.CSS_SELECTOR, '[data-testid=confirm-run]').click()

    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-run] [data-state=succeeded]'))
    bars = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-run] [data-progress] .q-linear-progress'))
    wait.until(lambda d: all_full(d))
    assert len(bars) >= 2, 'one bar per layer: the base layer and the new app layer'
    text = browser.find_element(By.CSS_SELECTOR, '[data-run]').text
    assert 'Pull complete' in text and '100%' in text
    assert 'Downloaded newer image' in text  # the output, streamed as text
    browser.execute_script('window.scrollTo(0, 0)')
    browser.save_screenshot(str(artifacts / 'operations-pull-light.png'))
    dark(browser, wait)
    browser.save_screenshot(str(artifacts / 'operations-pull-dark.png'))


def choose(browser: WebDriver, field: str, option: str) -> None:
    """Open a q-select and click one of its options."""
    wait = WebDriverWait(browser, 30, ignored_exceptions=FLAKY)
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-field="{field}"]')).click()
    xpath = f'//div[contains(@class, "q-menu")]//div[contains(@class, "q-item")][normalize-space()="{option}"]'
    wait.until(lambda d: d.find_element(By.XPATH, xpath)).click()
    wait.until(lambda d: option in d.find_element(By.CSS_SELECTOR, f'[data-field="{field}"]').text)


def all_full(driver: WebDriver) -> bool:
    bars = driver.find_elements(By.CSS_SELECTOR, '[data-run] [data-progress] .q-linear-progress')
    return bool(bars) and all(bar.get_attribute('data-percent') == '100' for bar in bars)
