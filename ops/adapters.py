"""The outside world as operations see it: one object with the engine, Compose, log hub, stack locks and config."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ops.config import HomelabConfig
from ops.docker.engine import Engine

if TYPE_CHECKING:
    from ops.docker.compose import Compose
    from ops.docker.loghub import LogHub
    from ops.docker.stack_locks import StackLocks

DEV_PROJECT = 'homelab-dev'


@dataclass(kw_only=True)
class Adapters:
    """Built once by the composition root (or a test) and shared by every run."""

    engine: Engine
    compose: Compose
    loghub: LogHub
    stack_locks: StackLocks
    config: HomelabConfig
    data_dir: Path
    repo_dir: Path
    env: Literal['dev', 'prod'] = 'dev'
    host_root: Path = Path('/')

    @property
    def requests_dir(self) -> Path:
        return self.data_dir / 'requests'

    def host_path(self, absolute: str) -> Path:
        """A host file under the configured host root (`/` on the host, a mount point in a container)."""
        return self.host_root / absolute.lstrip('/')
