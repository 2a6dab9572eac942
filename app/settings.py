"""Settings from HOMELAB_* environment variables, plus the optional TOML file they point at."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ops.config import HomelabConfig, load_config

DATA_SUBDIRS = ('events', 'world', 'state', 'requests', 'logs', 'secrets')


class Settings(BaseSettings):
    """Where the console listens, keeps its data and finds the repository and config."""

    model_config = SettingsConfigDict(env_prefix='HOMELAB_', extra='ignore')

    host: str = '127.0.0.1'
    port: int = Field(default=8080, ge=1, le=65535)
    data_dir: Path = Path('data')
    repo_dir: Path = Path('.')
    config: Path | None = None
    host_root: Path = Path('/')
    env: Literal['dev', 'prod'] = 'dev'
    storage_secret: str | None = None
    title: str = 'Homelab Control Plane'

    @property
    def database_path(self) -> Path:
        return self.data_dir / 'homelab.sqlite3'

    def load_config(self) -> HomelabConfig:
        return load_config(self.config)


def prepare_data_dir(data_dir: Path) -> None:
    """Create the data directory layout of DESIGN.md (idempotent)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in DATA_SUBDIRS:
        (data_dir / name).mkdir(exist_ok=True)
    (data_dir / 'secrets').chmod(0o700)


def storage_secret(settings: Settings) -> str:
    """The configured secret, or one generated once and kept (0600) under the data directory."""
    if settings.storage_secret:
        return settings.storage_secret
    path = settings.data_dir / 'secrets' / 'storage_secret'
    if path.exists():
        return path.read_text(encoding='utf-8').strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        handle.write(secret + '\n')
    return secret
