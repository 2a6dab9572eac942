"""Fixtures of the real-engine suites."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import docker.errors
import pytest

from ops.adapters import Adapters
from tests.helpers.docker_ops import (
    BASE_IMAGE,
    AppTag,
    close_adapters,
    docker_client,
    make_adapters,
    require_registry,
    unique,
)
from tests.helpers.rig import require_dev_stack, require_engine


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


@pytest.fixture
def box() -> Iterator[str]:
    """A throwaway busybox container (sleep 3600), created (not started) now, removed afterwards."""
    require_engine()
    name = unique()
    client = docker_client()
    client.api.create_container(
        BASE_IMAGE,
        ['sleep', '3600'],
        name=name,
        labels={'homelab.test': 'true'},
        host_config=client.api.create_host_config(init=True),
    )
    try:
        yield name
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_container(name, force=True)
