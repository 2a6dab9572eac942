"""What the real-engine and real-browser tests need, and how they react when it is missing.

Outside CI a missing engine or browser skips those tests with the reason; in CI (CI=true) it fails them.
"""

from __future__ import annotations

import os
import shutil

import pytest

from ops.docker.engine import Engine, EngineError

IN_CI = os.environ.get('CI', '').lower() in {'1', 'true', 'yes'}
DEV_PROJECT = 'homelab-dev'


def missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f'{reason} (CI=true: the rig must provide it; run `make rig`)', pytrace=False)
    pytest.skip(f'{reason}; run `make test` (or `make rig`) to set it up')


def engine_version() -> str | None:
    try:
        return Engine(os.environ.get('DOCKER_HOST') or None, timeout=5).version()
    except EngineError:
        return None


def require_engine() -> None:
    if engine_version() is None:
        missing('no Docker engine answers')


def require_dev_stack() -> None:
    require_engine()
    names = {info.name for info in Engine(os.environ.get('DOCKER_HOST') or None).list_containers()}
    if f'{DEV_PROJECT}-web-1' not in names:
        missing('the homelab-dev stack is not up (make dev-stack)')


def require_browser() -> tuple[str, str]:
    chromium = shutil.which('chromium') or shutil.which('chromium-browser')
    driver = shutil.which('chromedriver')
    if not chromium or not driver:
        missing('headless Chromium and chromedriver are not installed (make browser)')
    assert chromium and driver
    return chromium, driver
