"""Unit-test fixtures shared by more than one module: the loopback OpenID provider and the OIDC sign-in rig."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

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
