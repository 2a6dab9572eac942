"""A real git repository of Compose files, and the whole GitOps loop (observer, supervisor, queue, manager)
on the real engine, for drift tests. Every project is a throwaway `hl-test-<random>` one."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from ops.adapters import Adapters
from ops.catalog import catalog
from ops.config import HomelabConfig, StackConfig
from ops.maintenance.windows import MaintenanceWindows
from ops.manager import Manager
from ops.store.db import close_store, open_store
from ops.store.models import Action
from ops.store.owners import OwnerLock
from ops.world.actions import ActionQueue
from ops.world.drift import Drift
from ops.world.observer import Observer
from ops.world.supervisor import Supervisor
from tests.helpers.docker_ops import close_adapters, docker_client, make_adapters
from tests.helpers.waiting import wait_for_async

GIT_IDENTITY = ['-c', 'user.name=Homelab Test', '-c', 'user.email=test@homelab.invalid', '-c', 'commit.gpgsign=false']


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ['git', *GIT_IDENTITY, *args], cwd=repo, capture_output=True, text=True, timeout=30, check=True
    )
    return done.stdout.strip()


def commit(repo: Path, message: str) -> str:
    git(repo, 'add', '-A')
    git(repo, 'commit', '-q', '-m', message)
    return git(repo, 'rev-parse', 'HEAD')


def init_repo(repo: Path) -> None:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, 'init', '-q', '-b', 'main')


@dataclass
class Loop:
    """The GitOps loop of one throwaway stack."""

    stack: str
    repo: Path
    adapters: Adapters
    manager: Manager
    observer: Observer
    queue: ActionQueue
    supervisor: Supervisor

    async def up(self) -> None:
        """Bring the stack up by hand (what was deployed before the console watched)."""
        compose = self.adapters.compose
        assert compose is not None
        result = await compose.up(self.stack, ['compose.yml'], self.repo)
        assert result.ok, result.tail()

    async def drifts(self) -> list[Drift]:
        return self.supervisor.drifts

    async def pending(self, kind: str, subject: str | None = None, *, timeout: float = 60) -> Action:
        """Wait for the pending action of this kind (and service or container)."""

        async def found() -> Action | None:
            query = Action.filter(state='pending', kind=kind, stack=self.stack)
            for action in await query:
                if subject is None or subject in {action.service, action.container}:
                    return action
            return None

        return await wait_for_async(found, timeout=timeout, what=f'a pending {kind} action for {subject}')

    async def approve_and_finish(self, action: Action, *, timeout: float = 120) -> Action:
        await self.queue.approve(action.id, actor='tester', origin='test')
        return await self.queue.wait(action.id, timeout=timeout)

    async def in_line(self, *, timeout: float = 60) -> None:
        """Wait until the supervisor sees no drift and no action is open."""

        async def quiet() -> bool:
            open_actions = await Action.filter(stack=self.stack, state__in=('pending', 'approved', 'running'))
            return not self.supervisor.drifts and not open_actions

        await wait_for_async(quiet, timeout=timeout, what=f'{self.stack} in line with its files')


@contextlib.asynccontextmanager
async def gitops_loop(
    tmp_path: Path,
    stack: str,
    *,
    auto_approve: list[str] | None = None,
    settle: float = 0.5,
    windows: MaintenanceWindows | None = None,
) -> AsyncIterator[Loop]:
    """Store, manager, observer, queue and supervisor (running) for `stack`, whose files are compose.yml in a
    git repository at tmp_path/repo. The caller writes and commits the files before `loop.up()`; `windows` are the
    maintenance windows the auto-approve policy acts in (none: at any time)."""
    repo = tmp_path / 'repo'
    base = make_adapters(tmp_path / 'data', env='prod', repo_dir=repo)
    adapters = Adapters(
        engine=base.engine,
        config=HomelabConfig(
            stacks={stack: StackConfig(files=['compose.yml'], auto_approve=auto_approve or [])}  # type: ignore[list-item]
        ),
        data_dir=base.data_dir,
        repo_dir=repo,
        env='prod',
        compose=base.compose,
        loghub=base.loghub,
        stack_locks=base.stack_locks,
    )
    await open_store(adapters.data_dir / 'homelab.sqlite3')
    owner = OwnerLock(adapters.data_dir / 'state' / 'owners')
    manager = Manager(adapters, owner=owner, registry=catalog())
    observer = Observer(adapters.engine)
    config = adapters.config

    def auto(drift: Drift) -> bool:
        return drift.kind in config.stacks[drift.stack].auto_approve

    queue = ActionQueue(manager, auto_approve=auto, windows=windows)
    supervisor = Supervisor(adapters, observer, queue, settle=settle, debounce=0.2, watch_interval=0.3)
    tasks = [asyncio.create_task(observer.run()), asyncio.create_task(supervisor.run())]
    loop = Loop(stack, repo, adapters, manager, observer, queue, supervisor)
    try:
        await wait_for_async(lambda: observer.engine_state.reachable, timeout=30, what='the observer to connect')
        yield loop
    finally:
        supervisor.stop()
        observer.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await queue.shutdown()
        await manager.shutdown()
        with contextlib.suppress(Exception):
            await adapters.compose.down(stack, ['compose.yml'], repo)
        # The files may be broken by then (the invalid-files test): remove what is left by its project label.
        remove_project(stack)
        owner.release()
        await close_adapters(adapters)
        await close_store()


def remove_project(project: str) -> None:
    """Force-remove every container of a Compose project, and its default network."""
    client = docker_client()
    try:
        label = f'com.docker.compose.project={project}'
        for container in client.api.containers(all=True, filters={'label': label}):
            with contextlib.suppress(Exception):
                client.api.remove_container(container['Id'], force=True)
        for network in client.api.networks(filters={'label': label}):
            with contextlib.suppress(Exception):
                client.api.remove_network(network['Id'])
    finally:
        client.close()
