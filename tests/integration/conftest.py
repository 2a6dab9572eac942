"""Fixtures of the real-engine suites."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.helpers.docker_ops import AppTag, require_registry, unique


@pytest.fixture
async def app_tag() -> AsyncIterator[AppTag]:
    """A tag of the rig's app image, pushed by the test; removed from the engine and the registry afterwards."""
    require_registry()
    app = AppTag(unique('hl-test'), [])
    try:
        yield app
    finally:
        app.remove()
