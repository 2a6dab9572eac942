"""Shared fixtures. Suites: unit/ (no engine), ui/ (NiceGUI User), integration/ (real engine), browser/ (Chromium)."""

from __future__ import annotations

from pathlib import Path

import pytest

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
