"""Fixtures of the real-engine suites."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ops.adapters import Adapters
from tests.helpers.docker_ops import AppTag, close_adapters, make_adapters, require_registry, unique
from tests.helpers.rig import require_dev_stack


@pytest.fixture
async def app_tag() -> AsyncIterator[AppTag]:
    """A tag of the rig's app image, pushed by the test; removed from the engine and the registry afterwards."""
    require_registry()
    app = AppTag(unique('hl-test'), [])
    try:
        yield app
    finally:
        app.remove()


@pytest.fixture
async def dev(tmp_path: Path) -> AsyncIterator[Adapters]:
    """Adapters as in HOMELAB_ENV=dev, with the homelab-dev stack up."""
    require_dev_stack()
    adapters = make_adapters(tmp_path, env='dev', stacks={'homelab-dev': ['compose.dev.yml']})
    yield adapters
    await close_adapters(adapters)
