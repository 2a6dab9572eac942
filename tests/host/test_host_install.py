"""deploy/host/install.sh installs the units and settings idempotently (into a DESTDIR, with a stub systemctl)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / 'deploy' / 'host' / 'install.sh'
UNITS = ('homelab-reboot.path', 'homelab-reboot.service', 'homelab-backup.path', 'homelab-backup.service')


def install(root: Path, calls: Path, *args: str) -> subprocess.CompletedProcess[str]:
    systemctl = root.parent / 'systemctl'
    systemctl.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    systemctl.chmod(0o755)
    env = {'PATH': os.environ['PATH'], 'DESTDIR': str(root), 'SYSTEMCTL': str(systemctl)}
    return subprocess.run(
        ['bash', str(INSTALL), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_install_then_reinstall_changes_nothing(tmp_path: Path) -> None:
    root, calls = tmp_path / 'root', tmp_path / 'calls'
    (root / 'srv' / 'homelab').mkdir(parents=True)

    first = install(root, calls, '--data-dir', '/srv/homelab', '--dry-run', '--backup-unit', 'nightly.service')

    assert first.returncode == 0, first.stderr
    units = root / 'etc' / 'systemd' / 'system'
    assert sorted(p.name for p in units.iterdir()) == sorted(UNITS)
    assert 'PathExists=/srv/homelab/requests/reboot.request' in (units / 'homelab-reboot.path').read_text()
    assert 'PathExists=/srv/homelab/requests/backup.request' in (units / 'homelab-backup.path').read_text()
    service = (units / 'homelab-backup.service').read_text()
    assert 'ExecStart=/usr/local/libexec/homelab/homelab-request.sh backup' in service
    assert 'ReadWritePaths=/srv/homelab/requests' in service
    assert all('@' not in line for unit in UNITS for line in (units / unit).read_text().splitlines() if '=' in line)
    script = root / 'usr' / 'local' / 'libexec' / 'homelab' / 'homelab-request.sh'
    assert os.access(script, os.X_OK)
    settings = (root / 'etc' / 'homelab' / 'host-requests.env').read_text()
    assert 'HOMELAB_REQUESTS_DIR=/srv/homelab/requests\n' in settings
    assert 'HOMELAB_BACKUP_UNIT=nightly.service\n' in settings and 'DRY_RUN=1\n' in settings
    assert (root / 'srv' / 'homelab' / 'requests').is_dir()
    assert calls.read_text() == 'daemon-reload\nenable --now homelab-reboot.path homelab-backup.path\n'

    again = install(root, calls)

    assert again.returncode == 0, again.stderr
    assert 'wrote' not in again.stderr  # the installed settings were kept, so nothing changed
    assert (root / 'etc' / 'homelab' / 'host-requests.env').read_text() == settings
    assert calls.read_text().count('daemon-reload') == 1

    live = install(root, calls, '--no-dry-run')
    assert live.returncode == 0, live.stderr
    assert 'DRY_RUN=0\n' in (root / 'etc' / 'homelab' / 'host-requests.env').read_text()
    assert 'HOMELAB_BACKUP_UNIT=nightly.service\n' in (root / 'etc' / 'homelab' / 'host-requests.env').read_text()
    assert calls.read_text().count('daemon-reload') == 2


@pytest.mark.parametrize(
    'args',
    [('--data-dir', 'relative/dir'), ('--data-dir', '/srv/my homelab'), ('--backup-unit', 'x;reboot'), ('--bogus',)],
)
def test_bad_settings_are_refused(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = install(tmp_path / 'root', tmp_path / 'calls', *args)
    assert done.returncode != 0
    assert 'ERROR' in done.stderr
    assert not (tmp_path / 'calls').exists()


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which('systemd-analyze')
    if analyze is None:
        pytest.skip('systemd-analyze is not installed')
    root = tmp_path / 'root'
    assert install(root, tmp_path / 'calls', '--data-dir', '/srv/homelab').returncode == 0
    # verify wants ExecStart= to exist on this machine: point it at the DESTDIR copy.
    script = root / 'usr' / 'local' / 'libexec' / 'homelab' / 'homelab-request.sh'
    checked = tmp_path / 'checked'
    checked.mkdir()
    for unit in UNITS:
        text = (root / 'etc' / 'systemd' / 'system' / unit).read_text()
        (checked / unit).write_text(text.replace('/usr/local/libexec/homelab/homelab-request.sh', str(script)))
    done = subprocess.run(
        [analyze, 'verify', *(str(checked / unit) for unit in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert 'Unknown' not in done.stderr and 'ignoring' not in done.stderr, done.stderr
