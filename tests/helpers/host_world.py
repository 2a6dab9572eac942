"""A made-up host for the Host page and the Overview: a reboot flag, an upgrades log, a journal and two probes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.journal_files import service_line, write_journal
from tests.helpers.loopback_servers import closed_port

UNIT = 'restic-backup.service'
HOSTILE = '<b>bold</b><script>alert(1)</script>'


def host_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, open_port: int) -> Path:
    """A host root with a reboot flag, an upgrades log and a journal; a config naming a unit and two probes."""
    root = tmp_path / 'host'
    (root / 'run').mkdir(parents=True)
    (root / 'run' / 'reboot-required').write_text('*** System restart required ***\n')
    (root / 'run' / 'reboot-required.pkgs').write_text(f'linux-image-amd64\n{HOSTILE}\n')
    log_dir = root / 'var' / 'log' / 'unattended-upgrades'
    log_dir.mkdir(parents=True)
    (log_dir / 'unattended-upgrades.log').write_text(
        '2026-11-20 06:25:11,123 INFO Starting unattended upgrades script\n'
        '2026-11-20 06:25:40,001 INFO Packages that will be upgraded: openssl libssl3\n'
        '2026-11-20 06:26:02,500 INFO All upgrades installed\n'
    )
    write_journal(
        root / 'var' / 'log' / 'journal',
        [service_line(UNIT, 'snapshot 1a2b saved', ago=120), service_line(UNIT, f'note {HOSTILE}', ago=60)],
    )
    config = tmp_path / 'homelab.toml'
    config.write_text(
        f'[journal]\nunits = ["{UNIT}"]\n\n'
        f'[probes.nas]\nkind = "tcp"\ntarget = "127.0.0.1"\nport = {open_port}\ntimeout = 2\n\n'
        f'[probes.printer]\nkind = "tcp"\ntarget = "127.0.0.1"\nport = {closed_port()}\ntimeout = 2\n'
    )
    monkeypatch.setenv('HOMELAB_HOST_ROOT', str(root))
    monkeypatch.setenv('HOMELAB_CONFIG', str(config))
    return root
