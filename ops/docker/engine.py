"""The only importer of docker-py: the engine adapter, translating its errors into the project's own."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import docker
import docker.errors
import requests.exceptions

PROJECT_LABEL = 'com.docker.compose.project'
SERVICE_LABEL = 'com.docker.compose.service'
CONFIG_HASH_LABEL = 'com.docker.compose.config-hash'

_HEALTH_IN_STATUS = re.compile(r'\((healthy|unhealthy|health: starting)\)')
_EXIT_IN_STATUS = re.compile(r'^Exited \((-?\d+)\)')


class EngineError(Exception):
    """The engine answered, but refused or failed the request."""


class EngineUnavailable(EngineError):
    """The engine cannot be reached (socket missing, daemon down, connection cut or timed out)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ContainerInfo:
    """One container as the console shows it."""

    id: str
    name: str
    stack: str | None
    service: str | None
    state: str
    health: str | None
    image: str
    status: str
    created: int
    config_hash: str | None = None
    exit_code: int | None = None

    @property
    def short_id(self) -> str:
        return self.id[:12]


def container_from_summary(summary: dict[str, Any]) -> ContainerInfo:
    """Build a ContainerInfo from one entry of the engine's container list (no per-container inspect)."""
    labels = summary.get('Labels') or {}
    status = summary.get('Status') or ''
    match = _HEALTH_IN_STATUS.search(status)
    health = None
    if match:
        health = 'starting' if match.group(1) == 'health: starting' else match.group(1)
    exited = _EXIT_IN_STATUS.match(status)
    names = summary.get('Names') or ['/' + summary['Id'][:12]]
    return ContainerInfo(
        id=summary['Id'],
        name=names[0].lstrip('/'),
        stack=labels.get(PROJECT_LABEL),
        service=labels.get(SERVICE_LABEL),
        state=summary.get('State') or 'unknown',
        health=health,
        image=summary.get('Image') or '',
        status=status,
        created=int(summary.get('Created') or 0),
        config_hash=labels.get(CONFIG_HASH_LABEL),
        exit_code=int(exited.group(1)) if exited else None,
    )


class Engine:
    """A lazily connected Docker engine; every method blocks, so callers run it off the event loop."""

    def __init__(self, base_url: str | None = None, *, timeout: float = 15.0) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self._client: docker.DockerClient | None = None
        self._lock = threading.Lock()

    def client(self) -> docker.DockerClient:
        with self._lock:
            if self._client is None:
                try:
                    if self.base_url:
                        self._client = docker.DockerClient(base_url=self.base_url, version='auto', timeout=self.timeout)
                    else:
                        self._client = docker.from_env(version='auto', timeout=self.timeout)
                except docker.errors.DockerException as err:
                    raise EngineUnavailable(_describe(err)) from err
            return self._client

    def reset(self) -> None:
        """Drop the connection so the next call reconnects (and renegotiates the API version)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def version(self) -> str:
        with _translated(self):
            return str(self.client().version().get('Version', 'unknown'))

    def list_containers(self, **filters: str) -> list[ContainerInfo]:
        with _translated(self):
            summaries = self.client().api.containers(all=True, filters=filters or None)
        return [container_from_summary(summary) for summary in summaries]

    def find_container(self, container_id: str) -> ContainerInfo | None:
        """The current summary of one container, or None when it no longer exists."""
        found = self.list_containers(id=container_id)
        return found[0] if found else None

    def disk_usage(self) -> dict[str, Any]:
        """The engine's `system df`: images, containers, volumes and build cache with their sizes."""
        with _translated(self):
            return dict(self.client().api.df())

    def events(self, since: float | None = None) -> EventStream:
        """Container events from `since` (unix time) on; close() the stream to stop it from another thread."""
        with _translated(self):
            stream = self.client().api.events(since=since, filters={'type': 'container'}, decode=True)
        return EventStream(stream, self)


class EventStream:
    """An iterator over decoded engine events that can be closed from any thread."""

    def __init__(self, stream: Any, engine: Engine) -> None:
        self._stream = stream
        self._engine = engine

    def __iter__(self) -> Iterator[dict[str, Any]]:
        with _translated(self._engine):
            yield from self._stream

    def close(self) -> None:
        # Closing a dead stream may fail in many ways; it is closed either way.
        with suppress(Exception):
            self._stream.close()


@contextmanager
def _translated(engine: Engine) -> Iterator[None]:
    """Turn docker-py and requests errors into EngineUnavailable / EngineError at this boundary."""
    try:
        yield
    except EngineError:
        raise
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, ConnectionError) as exc:
        engine.reset()
        raise EngineUnavailable(_describe(exc)) from exc
    except docker.errors.APIError as exc:
        raise EngineError(_describe(exc)) from exc
    except (docker.errors.DockerException, OSError) as exc:
        engine.reset()
        raise EngineUnavailable(_describe(exc)) from exc


def _describe(err: BaseException) -> str:
    if isinstance(err, docker.errors.APIError):
        return str(err.explanation or err)
    text = str(err)
    if 'FileNotFoundError' in text or 'No such file or directory' in text:
        return 'the Docker socket does not exist (is the engine running?)'
    if 'Connection refused' in text:
        return 'the Docker engine refused the connection (is it running?)'
    if 'Read timed out' in text or isinstance(err, requests.exceptions.Timeout):
        return 'the Docker engine did not answer in time'
    return text or type(err).__name__
