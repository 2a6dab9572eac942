"""Unit-test fixtures shared by more than one module: the loopback OpenID provider, the OIDC sign-in rig, an open
store in a fresh database, and the anchored audit log on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from ops.store.audit import AuditLog
from ops.store.chain_head import HeadAnchor
from ops.store.db import close_store, open_store
from tests.helpers.oidc_provider import OidcProvider, running_provider
from tests.helpers.oidc_rig import Rig, oidc_rig


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    with running_provider() as running:
        yield running


@pytest.fixture
async def rig(provider: OidcProvider) -> AsyncIterator[Rig]:
    async with oidc_rig(provider) as running:
        yield running


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[None]:
    await open_store(tmp_path / 'h.sqlite3')
    yield
    await close_store()


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Path]:
    """An open store in a fresh database, and its path (to reopen it as a restarted console would)."""
    path = tmp_path / 'h.sqlite3'
    await open_store(path)
    yield path
    await close_store()


@pytest.fixture
async def audit(tmp_path: Path) -> AsyncIterator[AuditLog]:
    """The console's audit log (anchored in `tmp_path`) on an open store in a fresh database."""
    await open_store(tmp_path / 'homelab.sqlite3')
    try:
        yield AuditLog(HeadAnchor(tmp_path))
    finally:
        await close_store()
