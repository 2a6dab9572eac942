"""The composition root: builds the adapters, manager, store, observer and what keeps its findings; starts and
stops them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any, Literal

from app.settings import Settings, prepare_data_dir
from ops.adapters import Adapters
from ops.alerts.action_watch import ActionWatch
from ops.alerts.audit_watch import AuditChainWatch
from ops.alerts.container_watch import ContainerWatch
from ops.alerts.delivery_watch import DeliveryWatch
from ops.alerts.engine_watch import EngineWatch
from ops.alerts.host_watch import HostWatch
from ops.alerts.keeper import AlertKeeper
from ops.alerts.memory_watch import MemoryWatch
from ops.alerts.messages import Messenger
from ops.alerts.planned import PlannedWork
from ops.alerts.rules import RuleBook
from ops.alerts.run_watch import RunWatch
from ops.alerts.watching import Watcher
from ops.bus import Event
from ops.catalog import catalog
from ops.config import HomelabConfig, ScheduleTask, parse_duration
from ops.docker.compose import Compose
from ops.docker.containers import ContainerState
from ops.docker.engine import Engine
from ops.docker.loghub import LogHub
from ops.docker.stack_locks import StackLocks
from ops.host.samples import HostSampler
from ops.host.signals import HostSignals
from ops.maintenance.candidates import UpdateCandidates
from ops.maintenance.last_words import LastWordsKeeper
from ops.maintenance.overrides import OVERRIDES_DIR
from ops.maintenance.pins import sync_all_overrides
from ops.maintenance.policy import AutoApproval
from ops.maintenance.rollback_watch import RollbackWatch
from ops.maintenance.schedule_tasks import (
    candidates_check,
    engine_reachable,
    image_check,
    prune_preview,
    prune_proposal,
)
from ops.maintenance.schedules import ScheduledTask, Scheduler
from ops.maintenance.window_watch import WindowWatch
from ops.maintenance.windows import MaintenanceWindows
from ops.manager import Manager
from ops.notify.sender import Sender
from ops.runs import RunUpdate
from ops.stats.collector import StatsCollector
from ops.stats.health_history import HealthHistory
from ops.stats.rollups import StatHistory
from ops.stats.samples import ContainerSample
from ops.store.audit import AuditLog
from ops.store.chain_check import ChainWatch
from ops.store.chain_head import HeadAnchor
from ops.store.db import close_store, open_store
from ops.store.owners import OwnerLock
from ops.world.actions import ActionQueue
from ops.world.checkpoint import CheckpointWriter, checkpoint_path, resume_point
from ops.world.container_facts import ContainerFactsWatch
from ops.world.event_journal import EventJournal
from ops.world.observer import Observer
from ops.world.supervisor import Supervisor
from ops.world.world_file import WorldFileWriter, world_path

log = logging.getLogger(__name__)


def build_adapters(settings: Settings, config: HomelabConfig) -> Adapters:
    """The adapters of the engine at DOCKER_HOST (the `docker_host` setting), for this data and repository."""
    return adapters_for(
        Engine(settings.docker_host),
        config,
        data_dir=settings.data_dir,
        repo_dir=settings.repo_dir,
        env=settings.env,
        host_root=settings.host_root,
    )


def adapters_for(
    engine: Engine,
    config: HomelabConfig,
    *,
    data_dir: Path,
    repo_dir: Path,
    env: Literal['dev', 'prod'] = 'dev',
    host_root: Path = Path('/'),
) -> Adapters:
    """Everything around one engine, built once: Compose for the same engine (ssh:// included, with the console's
    override files of $DATA/overrides), its log hub and the per-stack locks."""
    return Adapters(
        engine=engine,
        compose=Compose(docker_host=engine.base_url, overrides=data_dir / OVERRIDES_DIR),
        loghub=LogHub(engine),
        stack_locks=StackLocks(),
        config=config,
        data_dir=data_dir,
        repo_dir=repo_dir,
        env=env,
        host_root=host_root,
    )


class Core:
    """What every entry point needs: adapters, the store and the operation manager (the CLI stops here)."""

    def __init__(self, settings: Settings, config: HomelabConfig | None = None) -> None:
        self.settings = settings
        self.config = config if config is not None else settings.load_config()
        self.adapters = build_adapters(settings, self.config)
        self.engine = self.adapters.engine
        # Every process on this data directory anchors the audit chain's head in the same place.
        self.audit = AuditLog(HeadAnchor(settings.data_dir))
        self.windows = MaintenanceWindows(self.config.maintenance.windows)
        self.auto_approval = AutoApproval(self.config.stacks, self.windows)
        self._owner: OwnerLock | None = None
        self._manager: Manager | None = None
        self._actions: ActionQueue | None = None

    @property
    def manager(self) -> Manager:
        if self._manager is None:
            raise RuntimeError('the core is not open yet')
        return self._manager

    @property
    def actions(self) -> ActionQueue:
        if self._actions is None:
            raise RuntimeError('the core is not open yet')
        return self._actions

    async def open(self) -> None:
        prepare_data_dir(self.settings.data_dir)
        await open_store(self.settings.database_path)
        self._owner = OwnerLock(self.settings.data_dir / 'state' / 'owners')
        self._manager = Manager(self.adapters, owner=self._owner, registry=catalog(), audit=self.audit)
        interrupted = await self._manager.recover()
        if interrupted:
            log.warning('%d run(s) were interrupted by an earlier stop', interrupted)
        self._actions = self._make_actions(self._manager)
        ended = await self._actions.recover()
        if ended:
            log.warning('%d approved action(s) ended while the console was stopped', ended)

    def _make_actions(self, manager: Manager) -> ActionQueue:
        return ActionQueue(manager, auto_approve=self.auto_approval, windows=self.windows)

    async def close(self) -> None:
        if self._actions is not None:
            await self._actions.shutdown()
        if self._manager is not None:
            await self._manager.shutdown()
        await self.adapters.loghub.close()
        await asyncio.to_thread(self.engine.reset)
        if self._owner is not None:
            self._owner.release()
        await close_store()


class System(Core):
    """The server: the core plus the observer; pages receive it and subscribe to its events."""

    def __init__(self, settings: Settings, config: HomelabConfig | None = None) -> None:
        super().__init__(settings, config)
        self.journal = EventJournal(settings.data_dir / 'events')
        self.observer = Observer(self.engine)
        self.world_file = WorldFileWriter(world_path(settings.data_dir), self.observer.world)
        keep_observations(self.observer, self.journal, self.world_file)
        self._checkpoints: CheckpointWriter | None = None
        self.container_facts = ContainerFactsWatch(self.observer)
        self.chain = ChainWatch(self.audit.anchor)  # the Audit page's incremental check of the chain
        self.sampler = HostSampler()
        self.host_signals = HostSignals(self.adapters)
        self.stats = StatsCollector(
            self.engine, self.observer, interval=self.config.stats.interval_seconds, host_root=self.adapters.host_root
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._supervisor: Supervisor | None = None
        self._rollback_watch: RollbackWatch | None = None
        self.notify_sender = Sender(self.config.notify)
        self.alert_rules = RuleBook(self.config.alerts, list(self.config.notify.channels))
        self.alerts = AlertKeeper(self.alert_rules, audit=self.audit)
        self.alert_messages = Messenger(self.alert_rules, self.notify_sender)
        self.last_words = LastWordsKeeper(self.observer, self.engine, self.config.maintenance)
        self.container_alerts = ContainerWatch(
            self.observer,
            self.alerts,
            PlannedWork(changing_operations()),
            inspect=self.engine.inspect,
            last_words=self.last_words.alert_tail,
        )
        keep_alerts(self.alerts, self.alert_messages, self.notify_sender, self.journal)
        self.container_alerts.noted.subscribe(self.journal.append)
        self.run_alerts = RunWatch(self.alerts)
        self.action_alerts = ActionWatch(self.alerts, for_window=self.auto_approval.waiting)
        self.engine_alerts = EngineWatch(self.alerts)
        self.host_alerts = HostWatch(
            self.alerts,
            host_root=self.adapters.host_root,
            docker_root=self.engine.data_root if self.engine.local else None,  # a remote engine's disk is not ours
        )
        self.audit_alerts = AuditChainWatch(self.chain, self.alerts)
        self.delivery_alerts = DeliveryWatch(self.alerts, list(self.config.notify.channels))
        self.observer.engine_changed.subscribe(self.engine_alerts.heard)
        self.host_signals.changed.subscribe(self.host_alerts.heard)
        self.notify_sender.settled.subscribe(self.delivery_alerts.heard)
        self.memory_alerts = MemoryWatch(
            self.alerts,
            running=lambda: {c.name for c in self.observer.containers.values() if c.state == ContainerState.RUNNING},
        )
        self.stat_history = StatHistory(
            self.stats.recent,
            keep_minutes=parse_duration(self.config.stats.keep_minutes),
            keep_quarters=parse_duration(self.config.stats.keep_quarters),
        )
        keep_stats(self.stats.sampled, self.stat_history)
        self.stats.sampled.subscribe(self.memory_alerts.heard)
        self.health_history = HealthHistory(self.observer, keep=parse_duration(self.config.stats.keep_quarters))
        self.update_candidates = UpdateCandidates(self.adapters)  # refreshed by the Maintenance page and schedules
        # At a window's opening the supervisor is woken: its next sync approves what waited for the window.
        self.window_watch = WindowWatch(self.windows, opened=self._window_opened)
        self.scheduler = Scheduler(self.config.schedules, self._scheduled_tasks(), audit=self.audit)

    def _scheduled_tasks(self) -> dict[ScheduleTask, ScheduledTask]:
        """What each scheduled task runs (each only proposes)."""
        return {
            'image_check': image_check(
                lambda **options: self.supervisor.evaluate(**options),
                engine_known=lambda: engine_reachable(self.observer, timeout=60),
            ),
            'update_candidates': candidates_check(self.update_candidates),
            'prune': self._scheduled_prune,
        }

    async def _window_opened(self, opening: object) -> None:
        # A wake-up, not an evaluation of its own beside the supervisor's loop (which would wait on its lock).
        self.supervisor.poke()

    async def _scheduled_prune(self, actor: str) -> dict[str, Any]:
        # The action queue exists once the core is open (start), after the scheduler is built.
        return await prune_proposal(self.actions, lambda: prune_preview(self.adapters))(actor)

    @property
    def supervisor(self) -> Supervisor:
        if self._supervisor is None:
            raise RuntimeError('the system is not started yet')
        return self._supervisor

    @property
    def alert_watches(self) -> tuple[Watcher[Any], ...]:
        """The watchers of runs, actions, the engine, the host, the audit chain, message delivery and memory use."""
        return (
            self.run_alerts,
            self.action_alerts,
            self.engine_alerts,
            self.host_alerts,
            self.audit_alerts,
            self.delivery_alerts,
            self.memory_alerts,
        )

    async def start(self) -> None:
        log.info('config %s: %s', self.settings.config or '(none)', self.config.summary())
        await self.open()
        await sync_all_overrides(self.adapters)
        # The journal holds what the engine did and what was done about it: runs and actions too.
        self.manager.run_changed.subscribe(lambda update: self.journal.append(run_record(update)))
        self.actions.changed.subscribe(lambda update: self.journal.append(update.as_record()))
        self.manager.run_changed.subscribe(self.run_alerts.run_changed)
        self.actions.changed.subscribe(self.action_alerts.action_changed)
        self._supervisor = Supervisor(self.adapters, self.observer, self.actions)
        self._rollback_watch = RollbackWatch(
            self.observer,
            self.actions,
            self.adapters,
            within=float(parse_duration(self.config.maintenance.rollback_within)),
            planned=self.container_alerts.planned,
        )
        resume = await asyncio.to_thread(resume_point, self.settings.data_dir, self.journal.directory)
        self._checkpoints = CheckpointWriter(
            checkpoint_path(self.settings.data_dir), self.journal, start=resume.time_nano if resume else None
        )
        self._tasks.append(asyncio.create_task(self.journal.run(), name='event-journal'))
        self._tasks.append(asyncio.create_task(self.world_file.run(), name='world-file'))
        self._tasks.append(asyncio.create_task(self.observer.run(resume), name='observer'))
        self._tasks.append(asyncio.create_task(self._supervisor.run(), name='supervisor'))
        # Without windows or schedules there is nothing to wake for: no task (every task started runs until stop).
        if self.windows.configured:
            self._tasks.append(asyncio.create_task(self.window_watch.run(), name='maintenance-windows'))
        if self.config.schedules:
            self._tasks.append(asyncio.create_task(self.scheduler.run(), name='schedules'))
        self._tasks.append(asyncio.create_task(self._rollback_watch.run(), name='rollback-watch'))
        self._tasks.append(asyncio.create_task(self.container_facts.run(), name='container-facts'))
        self._tasks.append(asyncio.create_task(self.sampler.run(), name='host-sampler'))
        self._tasks.append(asyncio.create_task(self.host_signals.run(), name='host-signals'))
        self._tasks.append(asyncio.create_task(self.stats.run(), name='stats-collector'))
        self._tasks.append(asyncio.create_task(self.stat_history.run(), name='stat-history'))
        self._tasks.append(asyncio.create_task(self.health_history.run(), name='health-history'))
        self._tasks.append(asyncio.create_task(self.last_words.run(), name='last-words'))
        self._tasks.append(asyncio.create_task(self.notify_sender.run(), name='notify-sender'))
        await self.alerts.load()
        await self.alert_messages.catch_up()
        self._tasks.append(asyncio.create_task(self.alerts.run(), name='alert-keeper'))
        self._tasks.append(asyncio.create_task(self.alert_messages.run(), name='alert-messages'))
        self._tasks.append(asyncio.create_task(self.container_alerts.run(), name='container-alerts'))
        for watch in self.alert_watches:
            self._tasks.append(asyncio.create_task(watch.run(), name=watch.name.replace(' ', '-')))

    async def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.stop()
        self.window_watch.stop()
        self.scheduler.stop()
        if self._rollback_watch is not None:
            self._rollback_watch.stop()
        self.observer.stop()
        self.sampler.stop()
        self.host_signals.stop()
        self.stats.stop()
        self.stat_history.stop()  # its run() writes the minute still open as it ends
        self.health_history.stop()
        self.last_words.stop()
        self.container_alerts.stop()
        for watch in self.alert_watches:
            watch.stop()
        self.alerts.stop()
        await self.alert_messages.stop()  # what is still gathering goes to the outbox, for the next start to send
        self.notify_sender.stop()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self.close()
        await self.world_file.close()
        await self.journal.close()
        if self._checkpoints is not None:  # after the journal's last flush: never ahead of it
            await self._checkpoints.close()
            self._checkpoints = None


def keep_observations(observer: Observer, journal: EventJournal, world_file: WorldFileWriter) -> None:
    """What the observer learns goes to the event journal (whose flushes move the checkpoint on); each change of
    the world it sees rewrites world.json."""
    observer.learned.subscribe(journal.append)
    observer.container_changed.subscribe(world_file.changed)
    observer.engine_changed.subscribe(world_file.changed)
    observer.reconciled.subscribe(world_file.changed)


def keep_stats(sampled: Event[list[ContainerSample]], history: StatHistory) -> None:
    """Each batch the collector samples is rolled up into the stored history."""
    sampled.subscribe(history.heard)


def keep_alerts(keeper: AlertKeeper, messenger: Messenger, sender: Sender, journal: EventJournal) -> None:
    """Openings and resolutions become messages; every change of an alert and every message sent or given up
    goes to the event journal."""
    keeper.changed.subscribe(messenger.heard)
    keeper.changed.subscribe(lambda change: journal.append(change.as_record()))
    sender.settled.subscribe(lambda settled: journal.append(settled.as_record()))


def changing_operations() -> dict[str, float]:
    """The operations that may stop, start or recreate containers (with their timeouts): their runs make a stop
    planned."""
    registry = catalog()
    specs = [registry.get(name) for name in registry.names()]
    return {spec.name: float(spec.timeout) for spec in specs if spec is not None and spec.mutating}


def run_record(update: RunUpdate) -> dict[str, object]:
    """An operation lifecycle event as the event journal keeps it."""
    return {
        'source': 'operation',
        'run_id': update.run_id,
        'operation': update.operation,
        'state': update.state.value,
        'actor': update.actor,
        'origin': update.origin,
        'error': update.error,
    }
