"""The backup chip: neutral "Backups not configured" without a [backup] section, red when a configured unit
never succeeded."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest
from nicegui import ui
from nicegui.testing import User

from tests.helpers.journal_files import require_journal_tools, service_line, write_journal
from tests.helpers.waiting import wait_for_async


def a_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str) -> None:
    """A host whose journal holds only another unit's lines, and a config file with `config` in it."""
    root = tmp_path / 'host'
    write_journal(root / 'var' / 'log' / 'journal', [service_line('nginx.service', 'started', ago=60)])
    path = tmp_path / 'homelab.toml'
    path.write_text(config)
    monkeypatch.setenv('HOMELAB_HOST_ROOT', str(root))
    monkeypatch.setenv('HOMELAB_CONFIG', str(path))


async def backup_chip(user: User) -> ui.chip:
    def chip() -> ui.chip | None:
        found = [el for el in user.find(ui.chip).elements if str(el.props.get('data-signal', '')).startswith('backup:')]
        return cast(ui.chip, found[0]) if found else None

    return await wait_for_async(chip, timeout=30, what='the backup chip')


async def test_without_a_backup_section_the_chip_is_neutral(
    signed_in_console, dead_engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_journal_tools()
    a_host(tmp_path, monkeypatch, '[journal]\nunits = ["nginx.service"]\n')
    async with signed_in_console(docker_host=dead_engine) as user:
        chip = await backup_chip(user)
        assert chip.text == 'Backups not configured'
        assert chip.props['data-signal'] == 'backup:off'
        assert chip.props['color'] not in {'negative', 'warning'}, chip.props['color']


async def test_a_configured_backup_that_never_ran_is_red(
    signed_in_console, dead_engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_journal_tools()
    a_host(tmp_path, monkeypatch, '[backup]\nunit = "restic-backup.service"\nmax_age = "26h"\n')
    async with signed_in_console(docker_host=dead_engine) as user:
        chip = await backup_chip(user)
        assert chip.text == 'No backup yet'
        assert chip.props['data-signal'] == 'backup:bad'
        assert chip.props['color'] == 'negative'
