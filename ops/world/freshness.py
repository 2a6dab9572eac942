"""Image freshness: does the registry serve another digest for the tag a running container was made from?

The registry is asked with a manifest check (nothing is pulled), and each answer is kept for a while. Only the
registry the running image was pulled from is asked, never one a commit just named.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from ops.docker.containers import ContainerInfo
from ops.docker.details import repository_of
from ops.docker.engine import Engine, EngineError
from ops.world.drift import ImageUpdate

log = logging.getLogger(__name__)

REGISTRY_TIMEOUT = 20.0


@dataclass(frozen=True, kw_only=True, slots=True)
class RegistryAnswer:
    """What the registry said for one image reference, and when."""

    checked_at: float
    digest: str | None
    error: str | None = None


class ImageFreshness:
    """Per image reference, the registry's current digest (cached `ttl` seconds) compared with the running one."""

    def __init__(self, engine: Engine, *, ttl: float = 1800.0) -> None:
        self.engine = engine
        self.ttl = ttl
        self.answers: dict[str, RegistryAnswer] = {}
        self.digests: dict[str, tuple[float, tuple[str, ...]]] = {}

    async def updates(
        self, wanted: Iterable[tuple[ContainerInfo, str]], *, refresh: bool = False
    ) -> dict[str, ImageUpdate]:
        """For (container, image reference of its service) pairs: the containers with a newer image waiting."""
        found: dict[str, ImageUpdate] = {}
        for info, reference in wanted:
            update = await self._check(info, reference, refresh=refresh)
            if update is not None:
                found[info.id] = update
        return found

    async def _check(self, info: ContainerInfo, reference: str, *, refresh: bool) -> ImageUpdate | None:
        if '@' in reference:  # pinned by digest: the tag cannot move under it
            return None
        repo_digests = await self._repo_digests(info, refresh=refresh)
        if repo_digests is None:
            return None
        repository = familiar(repository_of(reference))
        running = [d for d in repo_digests if familiar(d.split('@', 1)[0]) == repository]
        if not running:
            # Built or imported here, or the files name another repository than the one the running image came
            # from (a config change anyway). Only a registry that already served the running image is asked: a
            # commit alone must not make the engine contact a registry it names, before anyone approved a pull.
            return None
        answer = await self._registry_digest(reference, refresh=refresh)
        if answer.digest is None:
            return None
        if any(d.split('@', 1)[1] == answer.digest for d in running):
            return None
        return ImageUpdate(
            image=reference,
            running_digest=running[0].split('@', 1)[1],
            registry_digest=answer.digest,
        )

    async def _repo_digests(self, info: ContainerInfo, *, refresh: bool) -> tuple[str, ...] | None:
        """The registry digests of the container's image, looked up once per image (not per evaluation)."""
        cached = self.digests.get(info.image_id) if info.image_id else None
        if cached is not None and not refresh and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        try:
            if info.image_id:
                image = await asyncio.wait_for(
                    asyncio.to_thread(self.engine.image_ref, info.image_id), REGISTRY_TIMEOUT
                )
                digests = image.repo_digests if image is not None else ()
            else:
                details = await asyncio.wait_for(asyncio.to_thread(self.engine.inspect, info.id), REGISTRY_TIMEOUT)
                digests = details.repo_digests
        except (EngineError, TimeoutError):
            return None
        if info.image_id:
            self.digests[info.image_id] = (time.monotonic(), digests)
        return digests

    async def _registry_digest(self, reference: str, *, refresh: bool) -> RegistryAnswer:
        cached = self.answers.get(reference)
        if cached is not None and not refresh and time.monotonic() - cached.checked_at < self.ttl:
            return cached
        try:
            digest = await asyncio.wait_for(asyncio.to_thread(self.engine.registry_digest, reference), REGISTRY_TIMEOUT)
            answer = RegistryAnswer(checked_at=time.monotonic(), digest=digest)
        except (EngineError, TimeoutError) as err:
            log.info('registry check of %s failed: %s', reference, err or 'timed out')
            answer = RegistryAnswer(checked_at=time.monotonic(), digest=None, error=str(err) or 'timed out')
        self.answers[reference] = answer
        return answer


def familiar(repository: str) -> str:
    """`docker.io/library/busybox` -> `busybox`: a repository as the engine lists it in an image's RepoDigests."""
    for prefix in ('docker.io/', 'index.docker.io/'):
        if repository.startswith(prefix):
            repository = repository.removeprefix(prefix)
            return repository.removeprefix('library/')
    return repository
