"""Shared fixtures. Suites: unit/ (no engine), ui/ (NiceGUI User), integration/ (real engine), browser/ (Chromium)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ops import clock as clock_module
from tests.helpers.login_page import Clock
from tests.helpers.notify_peers import HttpReceiver, SmtpReceiver

pytest_plugins = ['nicegui.testing.user_plugin']

ARTIFACTS = Path(__file__).resolve().parents[1] / 'test-artifacts'


@pytest.fixture
def artifacts() -> Path:
    """Where tests leave screenshots and logs for a person to look at (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Folder decides the marker, so `-m 'not engine'` works without decorating every test.
    for item in items:
        parts = Path(str(item.fspath)).parts
        if 'integration' in parts:
            item.add_marker(pytest.mark.engine)
        if 'browser' in parts:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    """A real HTTP receiver on loopback that keeps every POST (apprise's json:// and ntfy:// land here)."""
    receiver = HttpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    """A real SMTP server on loopback (aiosmtpd) that keeps every message (apprise's mailto:// lands here)."""
    receiver = SmtpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The console's monotonic clock (sign-in throttles, alert hold times), moved by the test (`clock.now += ...`)."""
    fake = Clock()
    monkeypatch.setattr(clock_module, 'monotonic', fake)
    return fake
