"""Update candidates: for each service pinned to a version tag, the newer tags its registry has, each with its
changelog links and the git change that would move the service there (registry answers cached like freshness)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

from ops.adapters import Adapters
from ops.bus import Event
from ops.config import parse_duration
from ops.docker.compose import ComposeError
from ops.docker.engine import EngineError
from ops.docker.registry_facts import RegistryFacts
from ops.maintenance.registry_tags import ImageName, RegistryClient, RegistryError, image_name
from ops.maintenance.stack_edit import StackChange, image_line
from ops.maintenance.versions import newer_tags, parse_version

log = logging.getLogger(__name__)
T = TypeVar('T')

SHOWN = 8  # candidates kept per service (newest first); the rest are counted
LABELLED = 5  # the newest candidates whose labels (changelog links) are read
PARALLEL = 4  # services of a stack checked at the same time
SERVICE_DEADLINE = 60.0  # seconds one service's registry answers may take, all together
REFRESH_DEADLINE = 300.0  # seconds a whole check may spend asking registries; services left then say so
ERROR_CHARS = 300  # the longest error text a row keeps
NOTE_CHARS = 2000  # the longest reason a stack's files cannot be read
_LINK_LABELS = (('org.opencontainers.image.source', 'source'), ('org.opencontainers.image.url', 'website'))


@dataclass(frozen=True, kw_only=True, slots=True)
class Candidate:
    """A newer tag: the version its image says it is, where its changes are told, and the change to the files."""

    tag: str
    version: str = ''
    links: tuple[tuple[str, str], ...] = ()  # (what, http(s) address)
    change: StackChange = field(default_factory=StackChange)


@dataclass(frozen=True, kw_only=True, slots=True)
class ServiceCandidates:
    """One service of a stack: its image and current tag, its candidates, or why it has none."""

    stack: str
    service: str
    image: str = ''
    current: str = ''
    candidates: tuple[Candidate, ...] = ()
    more: int = 0  # older candidates not kept
    note: str = ''  # why it is not compared (not pinned to a version, a digest, files unreadable)
    error: str = ''  # the registry could not be asked


@dataclass(frozen=True, kw_only=True, slots=True)
class CandidateReport:
    """Every configured stack's services after one check: when, and on whose behalf."""

    services: tuple[ServiceCandidates, ...]
    checked_at: float
    actor: str


@dataclass(slots=True)
class _Kept:
    at: float
    value: object


class UpdateCandidates:
    """The last report and its `changed` event; `refresh(actor)` checks again (the Maintenance page, schedules)."""

    def __init__(
        self,
        adapters: Adapters,
        *,
        ttl: float | None = None,
        service_deadline: float = SERVICE_DEADLINE,
        refresh_deadline: float = REFRESH_DEADLINE,
    ) -> None:
        self.adapters = adapters
        self.ttl = float(parse_duration(adapters.config.drift.image_check)) if ttl is None else ttl
        self.service_deadline = service_deadline
        self.refresh_deadline = refresh_deadline
        self.report: CandidateReport | None = None
        self.changed: Event[CandidateReport] = Event()
        self.checking = False
        self._lock = asyncio.Lock()
        self._answers: dict[tuple[str, ...], _Kept] = {}

    async def refresh(self, actor: str, *, force: bool = True) -> CandidateReport:
        """Compare every pinned service with its registry's tags; `force`: ask again even what is still cached."""
        async with self._lock:
            self.checking = True
            try:
                report = await self._check(actor, force=force)
            finally:
                self.checking = False
            self.report = report
        found = sum(1 for s in report.services if s.candidates)
        log.info('update candidates checked (%s): %d service(s) with newer tags', actor, found)
        self.changed.emit(report)
        return report

    async def _check(self, actor: str, *, force: bool) -> CandidateReport:
        try:
            facts = await asyncio.to_thread(self.adapters.engine.registry_facts)
        except EngineError as err:
            log.info('registry settings of the engine unknown: %s', err)
            facts = RegistryFacts()
        rows: list[ServiceCandidates] = []
        asking = asyncio.Semaphore(PARALLEL)
        loop = asyncio.get_running_loop()
        check_ends = loop.time() + self.refresh_deadline

        async def one(client: RegistryClient, stack: str, service: str, image: str | None) -> ServiceCandidates:
            async with asking:
                ends = min(loop.time() + self.service_deadline, check_ends)
                late = (
                    f'no answers within {self.service_deadline:g} s'
                    if ends < check_ends
                    else f'the check ran past its {self.refresh_deadline:g} s'
                )
                return await self._service(client, stack, service, image, force=force, deadline=ends, late=late)

        async with RegistryClient(facts) as client:
            for stack in sorted(self.adapters.config.stacks):
                try:
                    images = await self._images(stack)
                except ComposeError as err:
                    problem = _bounded(str(err), NOTE_CHARS)
                    rows.append(ServiceCandidates(stack=stack, service='', note=f'its files cannot be read: {problem}'))
                    continue
                rows.extend(await asyncio.gather(*(one(client, stack, s, images[s]) for s in sorted(images))))
        return CandidateReport(services=tuple(rows), checked_at=time.time(), actor=actor)

    async def _images(self, stack: str) -> dict[str, str | None]:
        """Each service of the stack with the image its files name (None: it builds its own), from one Compose read;
        ComposeError when the files cannot be read or declare no service."""
        files = self.adapters.config.stacks[stack].files
        rendered = await self.adapters.compose.rendered(stack, files, self.adapters.repo_dir)
        declared = rendered.get('services')
        images: dict[str, str | None] = {}
        for service, spec in (declared if isinstance(declared, dict) else {}).items():
            image = spec.get('image') if isinstance(spec, dict) else None
            images[str(service)] = str(image) if image else None
        if not images:
            raise ComposeError('the files declare no service')
        return images

    async def _service(
        self,
        client: RegistryClient,
        stack: str,
        service: str,
        image: str | None,
        *,
        force: bool,
        deadline: float,
        late: str,
    ) -> ServiceCandidates:
        """The row of one service; asking its registry ends at `deadline` (loop time), the row then says `late`."""
        row = ServiceCandidates(stack=stack, service=service, image=image or '')
        if not image:
            return _with(row, note='builds its own image')
        name = image_name(image)
        if name is None:
            return _with(row, note='pinned by digest')
        row = _with(row, current=name.tag)
        if parse_version(name.tag) is None:
            return _with(row, note=f'{name.tag} is not a version tag')
        try:
            async with asyncio.timeout_at(deadline):
                tags = await self._cached(
                    ('tags', name.registry, name.repository), lambda: client.tags(name), force=force
                )
                newer = newer_tags(name.tag, tags, self.adapters.config.stacks[stack].updates)
                if not newer:
                    return row
                # The files are read once for the service; each candidate tag only makes its diff.
                files = self.adapters.config.stacks[stack].files
                line = await asyncio.to_thread(image_line, self.adapters.repo_dir, files, service, image)
                kept = []
                for index, tag in enumerate(newer[:SHOWN]):
                    labels = await self._labels(client, name, tag, force=force) if index < LABELLED else {}
                    kept.append(_candidate(tag, labels, line.change(tag)))
        except TimeoutError:
            return _with(row, error=_bounded(f'could not ask {name.registry}: {late}'))
        except RegistryError as err:
            return _with(row, error=_bounded(f'could not ask {name.registry}: {err}'))
        except Exception as err:  # a surprise in one service must not end the check of the others
            log.exception('update candidates of %s/%s failed', stack, service)
            return _with(row, error=_bounded(f'could not ask {name.registry}: {err}'))
        return _with(row, candidates=tuple(kept), more=max(0, len(newer) - SHOWN))

    async def _labels(self, client: RegistryClient, name: ImageName, tag: str, *, force: bool) -> dict[str, str]:
        try:
            key = ('labels', name.registry, name.repository, tag)
            return await self._cached(key, lambda: client.labels(name, tag), force=force)
        except RegistryError as err:
            log.info('labels of %s unknown: %s', name.with_tag(tag), err)
            return {}

    async def _cached(self, key: tuple[str, ...], ask: Callable[[], Awaitable[T]], *, force: bool) -> T:
        """A registry answer (or its error) kept `ttl` seconds; `ask` fetches it anew."""
        kept = self._answers.get(key)
        if kept is not None and not force and time.monotonic() - kept.at < self.ttl:
            if isinstance(kept.value, RegistryError):
                raise kept.value
            return cast(T, kept.value)
        try:
            value = await ask()
        except RegistryError as err:
            self._answers[key] = _Kept(at=time.monotonic(), value=err)
            raise
        self._answers[key] = _Kept(at=time.monotonic(), value=value)
        return value


def _candidate(tag: str, labels: dict[str, str], change: StackChange) -> Candidate:
    links: list[tuple[str, str]] = []
    for label, what in _LINK_LABELS:
        address = labels.get(label, '').strip()
        if address.lower().startswith(('https://', 'http://')) and address not in {a for _, a in links}:
            links.append((what, address))
    version = labels.get('org.opencontainers.image.version', '').strip()[:64]
    return Candidate(tag=tag, version=version, links=tuple(links), change=change)


def _bounded(text: str, limit: int = ERROR_CHARS) -> str:
    return text if len(text) <= limit else f'{text[: limit - 1]}…'


def _with(row: ServiceCandidates, **changes: Any) -> ServiceCandidates:
    return replace(row, **changes)
