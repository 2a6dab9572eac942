"""`homelab serve --native` under Xvfb: the desktop window opens, signs in and shows the console.

Needs Xvfb, xdotool and imagemagick (`make native`) and pywebview with Qt (the dev extra). Outside CI a missing
piece skips the test; with CI=true it fails.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.console import HOMELAB, REPO, console_env, create_user, free_port
from tests.helpers.rig import missing
from tests.helpers.waiting import wait_for

PASSWORD = 'correct horse battery staple'
SCREEN = (1280, 800)
WINDOW = (800, 600)  # NiceGUI's native window; Qt centres it on the screen
HEADER_BLUE = (37, 99, 235)  # the console's primary colour (#2563eb): the header is there once signed in


@pytest.fixture
def display(tmp_path: Path) -> Iterator[str]:
    """A fresh Xvfb on a display number it picks itself."""
    for tool in ('Xvfb', 'xdotool', 'import'):
        if shutil.which(tool) is None:
            missing(f'{tool} is not installed (make native)')
    if importlib.util.find_spec('webview') is None or importlib.util.find_spec('PyQt6') is None:
        missing('pywebview with Qt is not installed (pip install -e ".[native]")')
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ['Xvfb', '-displayfd', str(write), '-screen', '0', f'{SCREEN[0]}x{SCREEN[1]}x24', '-nolisten', 'tcp'],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / 'xvfb.log').open('wb'),
    )
    os.close(write)
    with os.fdopen(read) as answer:
        number = answer.readline().strip()
    assert number, f'Xvfb did not start: {(tmp_path / "xvfb.log").read_text()}'
    try:
        yield f':{number}'
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)


def test_native_window_signs_in_and_shows_the_console(display: str, tmp_path: Path, artifacts: Path) -> None:
    data_dir = tmp_path / 'data'
    env = console_env(data_dir, HOMELAB_PORT=str(free_port()), DISPLAY=display)
    env['QTWEBENGINE_CHROMIUM_FLAGS'] = '--no-sandbox'  # Chromium's sandbox refuses to run as root
    created = create_user(env, 'admin', PASSWORD)
    assert created.returncode == 0, created.stderr
    log_path = tmp_path / 'native.log'
    with log_path.open('wb') as log:
        window = subprocess.Popen(
            [*HOMELAB, 'serve', '--native'], env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT
        )
    shot = artifacts / 'native-window.png'
    try:
        left, top = (SCREEN[0] - WINDOW[0]) // 2, (SCREEN[1] - WINDOW[1]) // 2
        # The sign-in page is drawn once its logo (blue, above the card) is there.
        logo = (left + 288, top + 178)
        wait_for(
            lambda: window.poll() is not None or _bluish(_pixel(display, tmp_path, *logo)),
            timeout=90,
            what='the sign-in page in the native window',
        )
        assert window.poll() is None, log_path.read_text(errors='replace')
        # Click into each field, give Quasar a moment to focus it, type (xdotool paces its own input).
        _xdotool(display, 'mousemove', str(left + 400), str(top + 271), 'click', '1', 'sleep', '0.5')
        _xdotool(display, 'key', 'ctrl+a', 'type', '--delay', '20', 'admin')
        _xdotool(display, 'mousemove', str(left + 380), str(top + 336), 'click', '1', 'sleep', '0.5')
        _xdotool(display, 'type', '--delay', '20', PASSWORD)
        _xdotool(display, 'key', 'Return')
        wait_for(
            lambda: _pixel(display, tmp_path, left + 300, top + 20) == HEADER_BLUE,
            timeout=30,
            what='the signed-in console (its blue header) in the window',
        )
        _capture(display, shot)
        assert _last_login(data_dir / 'homelab.sqlite3') is not None
    finally:
        if not shot.exists():
            _capture(display, shot)  # what the window showed when it went wrong
        window.send_signal(signal.SIGTERM)
        try:
            window.wait(timeout=20)
        except subprocess.TimeoutExpired:
            window.kill()
            window.wait(timeout=5)


def _xdotool(display: str, *args: str) -> None:
    subprocess.run(['xdotool', *args], env={**os.environ, 'DISPLAY': display}, check=True, timeout=30)


def _capture(display: str, target: Path) -> None:
    env = {**os.environ, 'DISPLAY': display}
    subprocess.run(['import', '-window', 'root', str(target)], env=env, check=False, timeout=30)


def _pixel(display: str, tmp_path: Path, x: int, y: int) -> tuple[int, ...]:
    """The colour of one screen pixel (imagemagick reads the whole screen, then crops one pixel)."""
    shot = tmp_path / 'probe.png'
    _capture(display, shot)
    if not shot.exists():
        return ()
    argv = ['convert', str(shot), '-crop', f'1x1+{x}+{y}', '-depth', '8', 'txt:-']
    text = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30).stdout
    # "0,0: (37,99,235)  #2563EB  srgb(37,99,235)"
    inside = text.splitlines()[-1].split('(', 1)[-1].split(')', 1)[0] if text.strip() else ''
    return tuple(int(float(part)) for part in inside.split(',')[:3] if part.strip())


def _bluish(color: tuple[int, ...]) -> bool:
    return len(color) == 3 and color[2] > 150 and color[0] < 150


def _last_login(database: Path) -> str | None:
    with sqlite3.connect(database) as db:
        row = db.execute("SELECT last_login_at FROM users WHERE username = 'admin'").fetchone()
    return row[0] if row else None
