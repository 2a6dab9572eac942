"""Settings from HOMELAB_* environment variables, plus the optional TOML file they point at."""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import secrets
import stat
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ops.config import HomelabConfig, load_config

log = logging.getLogger(__name__)

DATA_SUBDIRS = ('events', 'world', 'state', 'requests', 'logs', 'secrets')


class Settings(BaseSettings):
    """Where the console listens, keeps its data, finds the repository and config, and which engine it manages."""

    model_config = SettingsConfigDict(env_prefix='HOMELAB_', extra='ignore', populate_by_name=True)

    host: str = '127.0.0.1'
    port: int = Field(default=8080, ge=1, le=65535)
    data_dir: Path = Path('data')
    repo_dir: Path = Path('.')
    config: Path | None = None
    host_root: Path = Path('/')
    env: Literal['dev', 'prod'] = 'dev'
    storage_secret: str | None = None
    storage_secret_file: Path | None = None
    allow_any_address: bool = False
    session_idle_hours: float = Field(default=12, gt=0)
    session_max_days: float = Field(default=7, gt=0)
    # Host names the console answers to besides the loopback names and the address it listens on (a proxy's
    # public name, e.g. ["homelab.tailnet.ts.net"]); a JSON list or comma-separated. "*" turns the check off.
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The host address a container's port is published on (compose.prod.yml passes HOMELAB_PUBLISH_ADDRESS).
    publish_address: str | None = None
    # Peers whose X-Forwarded-For/-Proto are believed: addresses or networks, or "gateway" (the container
    # network's gateway: a proxy on the Docker host). Empty: nobody's, the peer is the client.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    title: str = 'Homelab Control Plane'
    # The engine to manage, from Docker's own DOCKER_HOST (unix://, tcp://, ssh://[user@]host); unset: the local
    # engine as docker-py finds it. The engine adapter and Compose get it from here, never from the environment.
    docker_host: str | None = Field(default=None, validation_alias=AliasChoices('DOCKER_HOST', 'docker_host'))

    @field_validator('docker_host')
    @classmethod
    def _unset_when_empty(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator('allowed_hosts', 'trusted_proxies', mode='before')
    @classmethod
    def _json_or_comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith('[') else text.split(',')
        return value

    @field_validator('allowed_hosts')
    @classmethod
    def _host_names(cls, value: list[str]) -> list[str]:
        return [name.strip().lower() for name in value if name.strip()]

    @field_validator('trusted_proxies')
    @classmethod
    def _proxy_addresses(cls, value: list[str]) -> list[str]:
        proxies = [item.strip() for item in value if item.strip()]
        for item in proxies:
            if item != GATEWAY:
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(f'{item!r} is not an address, a network (CIDR) or "{GATEWAY}"') from None
        return proxies

    @property
    def database_path(self) -> Path:
        return self.data_dir / 'homelab.sqlite3'

    def load_config(self) -> HomelabConfig:
        return load_config(self.config)


def prepare_data_dir(data_dir: Path) -> None:
    """Create the data directory layout of DESIGN.md (idempotent). It holds the database and the secrets, so
    only its owner may enter it (0700) and the secrets are 0600; looser modes left by an older version are
    tightened here, at every start."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    private(data_dir, 0o700)
    for name in DATA_SUBDIRS:
        (data_dir / name).mkdir(exist_ok=True)
    secrets_dir = data_dir / 'secrets'
    private(secrets_dir, 0o700)
    for path in secrets_dir.iterdir():
        if path.is_file() and not path.is_symlink():
            private(path, 0o600)


def private(path: Path, mode: int) -> None:
    """Take away the group and other bits `mode` does not grant (never loosen); a path owned by someone else
    (a bind mount made by root) is left as it is, with a warning."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
        if current & ~mode & 0o077:
            path.chmod(current & mode)
    except PermissionError as err:
        log.warning('cannot make %s private (%s): give it to the user the console runs as', path, err)


WILDCARD_ADDRESSES = {'0.0.0.0', '::', '[::]', '', '*'}  # noqa: S104 - these are the addresses we refuse by default
GATEWAY = 'gateway'


def configured_secret(settings: Settings) -> str | None:
    """HOMELAB_STORAGE_SECRET, or the content of HOMELAB_STORAGE_SECRET_FILE (a Compose secret)."""
    if settings.storage_secret:
        return settings.storage_secret
    if settings.storage_secret_file is not None and settings.storage_secret_file.exists():
        return settings.storage_secret_file.read_text(encoding='utf-8').strip() or None
    return None


def production_problems(settings: Settings) -> list[str]:
    """Why the server must not start in HOMELAB_ENV=prod (empty when all is well, and always in dev)."""
    if settings.env != 'prod':
        return []
    problems = []
    secret = configured_secret(settings)
    if secret is None:
        problems.append('HOMELAB_STORAGE_SECRET (or HOMELAB_STORAGE_SECRET_FILE) must be set in production')
    elif len(secret) < 32 or len(set(secret)) < 12:
        problems.append('the storage secret is weak: use at least 32 random characters (openssl rand -base64 48)')
    if settings.host in WILDCARD_ADDRESSES and not settings.allow_any_address:
        problems.append(
            f'refusing to listen on every interface ({settings.host!r}): set HOMELAB_HOST to the tailnet or LAN '
            'address, or HOMELAB_ALLOW_ANY_ADDRESS=true if a firewall or proxy guards it'
        )
    if not knows_its_names(settings):
        problems.append(
            'the console does not know which host names to answer to (any other Host is refused, against DNS '
            'rebinding): set HOMELAB_ALLOWED_HOSTS to the names browsers use (e.g. ["homelab.example.ts.net"]) '
            'or HOMELAB_PUBLISH_ADDRESS to the address the port is published on'
        )
    return problems


def knows_its_names(settings: Settings) -> bool:
    """Whether the console knows what browsers call it: it listens on one address, is published on one, or is told."""
    specific = [a for a in (settings.host, settings.publish_address) if a is not None and a not in WILDCARD_ADDRESSES]
    return bool(specific or settings.allowed_hosts)


def storage_secret(settings: Settings) -> str:
    """The configured secret, or one generated once and kept (0600) under the data directory."""
    if secret := configured_secret(settings):
        return secret
    path = settings.data_dir / 'secrets' / 'storage_secret'
    if path.exists():
        private(path, 0o600)
        return path.read_text(encoding='utf-8').strip()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    private(path.parent, 0o700)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        handle.write(secret + '\n')
    return secret
