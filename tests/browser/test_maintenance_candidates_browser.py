"""The Maintenance page's update candidates in a real Chromium, against the rig's registry: a pinned service with
newer tags (newest first, its changelog link, a hostile version label shown as text), one whose tag is a variable
set in the .env, one not pinned, one whose registry does not answer; the diff dialog; light, dark, phone pictures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers.browser_pages import FLAKY, PASSWORD, dark, load_page, sign_in
from tests.helpers.candidate_images import SOURCE, pushed_versions
from tests.helpers.console import Console, create_user, running_console
from tests.helpers.gitops import commit, init_repo
from tests.helpers.loopback_servers import closed_port
from tests.helpers.rig import require_dev_stack

HOSTILE = '<img src=x onerror=alert(1)>'
TAGS = ('10.8.13', '10.8.14', '10.9.0-rc1', '10.9.0', '10.9.1')


@pytest.fixture
def configured(tmp_path: Path) -> Iterator[tuple[Console, str]]:
    """A console whose repository pins `media/jellyfin` to 10.8.13 of an image with newer tags in the registry."""
    require_dev_stack()
    with pushed_versions(TAGS, keep='', version=lambda t: f'{t} {HOSTILE}' if t == '10.9.1' else t) as image:
        repo = tmp_path / 'repo'
        init_repo(repo)
        (repo / 'media').mkdir()
        (repo / 'media' / 'compose.yml').write_text(
            'services:\n'
            f'  jellyfin:\n    image: {image}:10.8.13\n    restart: unless-stopped\n'
            f'  sonarr:\n    image: {image}:${{SONARR_TAG}}\n'
            '  cache:\n    image: homelab-dev/busybox:latest\n'
            f'  mirror:\n    image: 127.0.0.1:{closed_port()}/media/mirror:2.1.0\n'
        )
        (repo / 'media' / '.env').write_text('SONARR_TAG=10.8.14\n')
        commit(repo, 'media stack')
        config = tmp_path / 'homelab.toml'
        config.write_text('[stacks.media]\nfiles = ["media/compose.yml"]\n')
        data = tmp_path / 'data'
        with running_console(data, HOMELAB_CONFIG=str(config), HOMELAB_REPO_DIR=str(repo)) as running:
            result = create_user(running.env, 'admin', PASSWORD)
            assert result.returncode == 0, result.stderr
            yield running, image


def dialog_shown(browser: WebDriver) -> bool:
    """The diff dialog is open and its fade-in is over (a picture taken earlier is half transparent)."""
    return bool(
        browser.execute_script(
            'const c = document.querySelector("[data-testid=candidate-dialog]");'
            'if (!c || document.querySelector(".q-dialog [class*=q-transition--]")) return false;'
            'return getComputedStyle(c.closest(".q-dialog__inner")).opacity === "1";'
        )
    )


def full_height(browser: WebDriver, width: int) -> None:
    height = browser.execute_script('return document.documentElement.scrollHeight')
    browser.set_window_size(width, min(int(height) + 140, 4000))


def test_update_candidates_pictures(browser: WebDriver, configured: tuple[Console, str], artifacts: Path) -> None:
    console, image = configured
    sign_in(browser, console)
    wait = WebDriverWait(browser, 60, ignored_exceptions=FLAKY)
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid=dark-toggle]'))
    load_page(browser, f'{console.url}/maintenance', '[data-testid=update-candidates]')
    # The first visit starts a check; its answer arrives live.
    jellyfin = '[data-service=jellyfin]'
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'{jellyfin} [data-testid=candidate]'))
    tags = [b.text for b in browser.find_elements(By.CSS_SELECTOR, f'{jellyfin} [data-testid=candidate]')]
    assert tags == ['10.9.1', '10.9.0', '10.8.14']  # newest first, no rc
    row = browser.find_element(By.CSS_SELECTOR, jellyfin)
    assert HOSTILE in row.text and not row.find_elements(By.TAG_NAME, 'img')  # a label is text, never markup
    link = browser.find_element(By.CSS_SELECTOR, f'{jellyfin} [data-testid=changelog-source]')
    assert link.get_attribute('href') == SOURCE
    assert not browser.find_elements(By.CSS_SELECTOR, '[data-testid=changelog-website]')  # javascript: is no link
    # The variable tag is compared (Compose resolves it) but its change is said, not diffed; the rest say why not.
    wait.until(lambda d: 'could not ask 127.0.0.1:' in d.find_element(By.CSS_SELECTOR, '[data-service=mirror]').text)
    assert 'latest is not a version tag' in browser.find_element(By.CSS_SELECTOR, '[data-service=cache]').text
    full_height(browser, 1400)
    browser.save_screenshot(str(artifacts / 'maintenance-candidates-light.png'))
    dark(browser, wait)
    browser.save_screenshot(str(artifacts / 'maintenance-candidates-dark.png'))

    browser.set_window_size(1400, 900)
    browser.find_element(By.CSS_SELECTOR, f'{jellyfin} [data-tag="10.9.0"]').click()
    dialog = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid=candidate-dialog]'))
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-testid=diff-line]')) > 4)
    wait.until(dialog_shown)
    lines = [e.text for e in browser.find_elements(By.CSS_SELECTOR, '[data-testid=diff-line]')]
    assert lines[:2] == ['--- a/media/compose.yml', '+++ b/media/compose.yml']
    assert f'-    image: {image}:10.8.13' in lines and f'+    image: {image}:10.9.0' in lines
    assert dialog.find_element(By.CSS_SELECTOR, '[data-testid=download-diff]').is_displayed()
    browser.save_screenshot(str(artifacts / 'maintenance-candidates-diff-dark.png'))
    browser.find_element(By.CSS_SELECTOR, '[data-testid=candidate-dialog] button:last-child').click()
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-testid=candidate-dialog]'))

    browser.find_element(By.CSS_SELECTOR, '[data-service=sonarr] [data-tag="10.9.1"]').click()
    # Its tag comes from SONARR_TAG in the project's .env: the change is that line.
    wait.until(
        lambda d: '+SONARR_TAG=10.9.1' in [e.text for e in d.find_elements(By.CSS_SELECTOR, '[data-testid=diff-line]')]
    )
    assert '--- a/media/.env' in browser.find_element(By.CSS_SELECTOR, '[data-testid=candidate-dialog]').text
    wait.until(dialog_shown)
    browser.save_screenshot(str(artifacts / 'maintenance-candidates-variable-dark.png'))
    browser.find_element(By.CSS_SELECTOR, '[data-testid=candidate-dialog] button:last-child').click()

    browser.set_window_size(390, 844)
    browser.refresh()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'{jellyfin} [data-testid=candidate]'))
    wait.until(lambda d: d.execute_script(
        'const d = document.querySelector(".q-drawer"); return !d || d.getBoundingClientRect().right <= 0;'
    ))  # fmt: skip
    assert browser.execute_script('return document.documentElement.scrollWidth') <= 390
    full_height(browser, 390)
    browser.save_screenshot(str(artifacts / 'maintenance-candidates-phone.png'))
    browser.set_window_size(390, 844)
    browser.find_element(By.CSS_SELECTOR, f'{jellyfin} [data-tag="10.9.1"]').click()
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid=candidate-dialog]'))
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-testid=diff-line]')) > 4)
    wait.until(dialog_shown)
    browser.save_screenshot(str(artifacts / 'maintenance-candidates-diff-phone.png'))
