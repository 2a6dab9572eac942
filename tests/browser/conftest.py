"""Browser-test fixtures: a real headless Chromium and a real `homelab serve` process with an admin user."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.browser_pages import PASSWORD
from tests.helpers.chromium import browser as browser  # the Chromium fixture
from tests.helpers.console import Console, create_user, running_console
from tests.helpers.rig import require_dev_stack


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    require_dev_stack()
    with running_console(tmp_path / 'data') as running:
        result = create_user(running.env, 'admin', PASSWORD)
        assert result.returncode == 0, result.stderr
        yield running
