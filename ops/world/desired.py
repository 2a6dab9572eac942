"""The desired state: what the Compose files of each configured stack ask for, read from the repository."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ops.adapters import Adapters
from ops.docker.compose import Compose, ComposeError, stack_inputs


@dataclass(frozen=True, kw_only=True, slots=True)
class ServiceWant:
    """One service as the files declare it: the hash Compose labels its container with, and its image."""

    name: str
    config_hash: str
    image: str | None
    rendered: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class StackWant:
    """A stack's desired services, or why its files could not be read (then nothing is acted on)."""

    name: str
    files: tuple[str, ...]
    services: dict[str, ServiceWant] = field(default_factory=dict)
    error: str | None = None

    @property
    def valid(self) -> bool:
        return self.error is None


async def read_stack(adapters: Adapters, compose: Compose, name: str) -> StackWant:
    """Ask Compose for the per-service hashes and the rendered services; any failure makes the stack invalid."""
    files = tuple(adapters.config.stacks[name].files)
    try:
        hashes = await compose.config_hashes(name, files, adapters.repo_dir)
        rendered = await compose.rendered(name, files, adapters.repo_dir)
    except ComposeError as err:
        return StackWant(name=name, files=files, error=_short(str(err)))
    declared = rendered.get('services') or {}
    wants: dict[str, ServiceWant] = {}
    for service, config_hash in sorted(hashes.items()):
        spec = declared.get(service) if isinstance(declared, dict) else None
        spec = spec if isinstance(spec, dict) else {}
        image = spec.get('image')
        wants[service] = ServiceWant(
            name=service, config_hash=config_hash, image=str(image) if image else None, rendered=spec
        )
    if not wants:
        return StackWant(name=name, files=files, error='the files declare no service')
    return StackWant(name=name, files=files, services=wants)


def files_fingerprint(adapters: Adapters, name: str) -> str:
    """A cheap fingerprint of a stack's files, every file Compose reads for them and the repository's .env (size,
    mtime, inode): a change means the files must be read again. Missing files count too (the stack becomes
    invalid), and so does a file outside the repository (the reason is part of the fingerprint). The console's own
    override file of the stack (a rollback pin) counts as well: a pin or its release is read at once."""
    parts: list[str] = []
    root = adapters.repo_dir
    try:
        paths = [str(p) for p in stack_inputs(adapters.config.stacks[name].files, root)]
    except ComposeError as err:
        paths = [str(err)]
    override = adapters.compose.override_path(name)
    for candidate in [*paths, str(root / '.env'), *([str(override)] if override is not None else [])]:
        path = Path(candidate)
        try:
            stat = path.stat()
            parts.append(f'{candidate}:{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}')
        except OSError:
            parts.append(f'{candidate}:absent')
    return hashlib.sha256('\n'.join(parts).encode()).hexdigest()


async def repository_fingerprint(adapters: Adapters) -> str:
    """One fingerprint over every configured stack's files (read off the event loop)."""
    names = sorted(adapters.config.stacks)
    prints = await asyncio.to_thread(lambda: [files_fingerprint(adapters, name) for name in names])
    return hashlib.sha256('|'.join(prints).encode()).hexdigest()


def _short(message: str, limit: int = 2000) -> str:
    return message if len(message) <= limit else message[: limit - 1] + '…'
