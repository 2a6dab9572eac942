"""The Maintenance page's update candidates through NiceGUI's simulated user, against a loopback registry that wants
a bearer token: the first visit checks, candidates show newest first, a candidate's diff opens and downloads as a
patch, Check now asks again."""

from __future__ import annotations

from pathlib import Path

import pytest
from nicegui import ui

from tests.helpers.token_registry import token_registry
from tests.helpers.waiting import wait_for_async


async def test_candidates_show_with_their_diff_and_check_now_asks_again(
    signed_in_console, dead_engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with token_registry(['1.0.0', '1.1.0', '1.2.0-rc1', '2.0.0', 'latest']) as registry:
        repo = tmp_path / 'repo'
        repo.mkdir()
        (repo / 'compose.yml').write_text(f'services:\n  app:\n    image: {registry.host}/team/app:1.0.0\n')
        config = tmp_path / 'homelab.toml'
        config.write_text('[stacks.tools]\nfiles = ["compose.yml"]\n')
        monkeypatch.setenv('HOMELAB_CONFIG', str(config))
        monkeypatch.setenv('HOMELAB_REPO_DIR', str(repo))
        async with signed_in_console(docker_host=dead_engine) as user:
            await user.open('/maintenance')
            await user.should_see('Update candidates')
            await user.should_see('1 service has a newer version.', retries=100)
            buttons = sorted(user.find(kind=ui.button).elements, key=lambda b: b.id)  # in page order
            tags = [b.text for b in buttons if b.props.get('data-testid') == 'candidate']
            assert tags == ['2.0.0', '1.1.0']
            user.find(kind=ui.button, content='2.0.0').click()
            await user.should_see('tools / app: 1.0.0 → 2.0.0', retries=50)
            await user.should_see(f'+    image: {registry.host}/team/app:2.0.0')
            user.find(kind=ui.button, content='Download').click()
            patch = (await user.download.next(timeout=10)).text
            assert patch.startswith('--- a/compose.yml\n+++ b/compose.yml\n')
            assert f'+    image: {registry.host}/team/app:2.0.0\n' in patch
            user.find(kind=ui.button, content='Close').click()

            def tag_lists() -> int:
                return sum(1 for path, _ in registry.seen if path.endswith('/tags/list'))

            before = tag_lists()
            user.find(kind=ui.button, content='Check now').click()
            await wait_for_async(lambda: tag_lists() > before, timeout=20, what='Check now to ask the registry')
