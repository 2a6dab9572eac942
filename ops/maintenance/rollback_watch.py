"""The rollback watch: a service recreated lately whose new container turns unhealthy or crash-loops gets a proposal to
roll it back to what the recreate replaced."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from ops.adapters import DEV_PROJECT, Adapters
from ops.alerts.planned import PlannedWork, Subject
from ops.clock import utc_from_timestamp, utc_now
from ops.docker.containers import ContainerInfo, ContainerState, Health
from ops.docker.engine import EngineError
from ops.maintenance.known_good import ServiceState, state_of
from ops.maintenance.pins import active_pins
from ops.maintenance.records import KnownGood
from ops.maintenance.rollback_proposal import rollback_key, rollback_proposal
from ops.store.models import Action
from ops.world.actions import Proposal
from ops.world.observer import ContainerChange, Observer

log = logging.getLogger(__name__)

CRASH_LOOP_DEATHS = 3  # deaths of the new container that make a crash loop (the crash-loop alert's default count)


class Proposes(Protocol):
    """Where a proposal goes (the action queue)."""

    async def propose(
        self, proposal: Proposal, *, actor: str, origin: str, audit_detail: dict[str, Any] | None = None
    ) -> object: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class Trouble:
    """A container of a service in trouble: unhealthy, or dead `deaths` times since it was created."""

    container_id: str
    name: str
    stack: str
    service: str
    why: str
    died_at: float | None = None  # the last death's engine time (unix s), for a crash loop


class RollbackWatch:
    """Follows the observer's container changes (unhealthy) and engine deaths (crash loops) of managed services."""

    def __init__(
        self,
        observer: Observer,
        queue: Proposes,
        adapters: Adapters,
        *,
        within: float,
        planned: PlannedWork | None = None,
        deaths: int = CRASH_LOOP_DEATHS,
    ) -> None:
        self.observer = observer
        self.queue = queue
        self.adapters = adapters
        self.within = within
        self.planned = planned
        self.deaths = deaths
        self._deaths: dict[str, deque[float]] = {}  # unplanned deaths per container id (engine time, unix s)
        self._queue: asyncio.Queue[Trouble] = asyncio.Queue()
        self._unconsidered = 0  # troubles heard and not yet considered
        self._stopping = asyncio.Event()
        self._unsubscribe = [
            observer.container_changed.subscribe(self._changed),
            observer.learned.subscribe(self._heard),
        ]

    async def run(self) -> None:
        """Handle each trouble in turn until stop()."""
        try:
            while not self._stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    trouble = await asyncio.wait_for(self._queue.get(), 1.0)
                    try:
                        await self.consider(trouble)
                    except Exception:  # the watch must outlive any surprise
                        log.exception('rollback watch failed on %r', trouble)
                    finally:
                        self._unconsidered -= 1
        finally:
            for unsubscribe in self._unsubscribe:
                unsubscribe()

    def stop(self) -> None:
        self._stopping.set()

    @property
    def idle(self) -> bool:
        """Every trouble heard so far has been considered."""
        return self._unconsidered == 0

    def _hear(self, trouble: Trouble) -> None:
        self._unconsidered += 1
        self._queue.put_nowait(trouble)

    def _changed(self, change: ContainerChange) -> None:
        info = change.info
        if info is None:
            self._deaths.pop(change.container_id, None)
            return
        if info.health == Health.UNHEALTHY and info.state == ContainerState.RUNNING and info.stack and info.service:
            self._hear(_trouble(info, 'turned unhealthy'))

    def _heard(self, record: dict[str, Any]) -> None:
        if record.get('source') != 'engine' or record.get('action') != 'die':
            return
        stack, service, container_id = record.get('stack'), record.get('service'), str(record.get('id') or '')
        if not (stack and service and container_id):
            return
        time_nano = record.get('time_nano')
        at = time_nano / 1e9 if isinstance(time_nano, int) else utc_now().timestamp()
        deaths = self._deaths.setdefault(container_id, deque(maxlen=self.deaths))
        deaths.append(at)
        if len(deaths) >= self.deaths:
            why = f'died {len(deaths)} times (crash loop, last exit code {record.get("exit_code")})'
            name = str(record.get('name') or container_id[:12])
            self._hear(
                Trouble(
                    container_id=container_id, name=name, stack=str(stack), service=str(service), why=why, died_at=at
                )
            )

    async def consider(self, trouble: Trouble) -> None:
        """Propose the rollback if the service was recreated within `within`, what it replaced ran well on another
        image, the deaths were not planned by a later run, and no action has the proposal's key yet."""
        if not self._may_change(trouble.stack):
            return
        latest = KnownGood.filter(stack=trouble.stack, service=trouble.service).order_by('-recorded_at', '-id')
        state = await latest.first()
        if state is None or not state.healthy or utc_now() - state.recorded_at > timedelta(seconds=self.within):
            return
        if await Action.filter(drift_key=rollback_key(state)).exists():
            return
        if self.planned is not None and trouble.died_at is not None:
            subject = Subject(id=trouble.container_id, name=trouble.name, stack=trouble.stack, service=trouble.service)
            run_id = await self.planned.run_for(subject, utc_from_timestamp(trouble.died_at))
            if run_id is not None and run_id != state.run_id:
                return  # someone restarted or stopped it on purpose after the recreate
        running = await self._state_now(trouble)
        if running is not None and running.digest == state.digest:
            log.info('%s %s, but it runs the image it replaced: no rollback proposed', trouble.name, trouble.why)
            return
        pins = {pin.service: pin.digest for pin in await active_pins(trouble.stack) if pin.service != trouble.service}
        proposal = rollback_proposal(
            state,
            container=trouble.name,
            why=trouble.why,
            now_running=running,
            override_path=self.adapters.compose.override_path(trouble.stack),
            other_pins=pins,
        )
        await self.queue.propose(
            proposal,
            actor='supervisor',
            origin='supervisor',
            audit_detail={'why': f'{trouble.name} {trouble.why}', 'known_good': state.id},
        )

    def _may_change(self, stack: str) -> bool:
        """A configured stack (HOMELAB_ENV=dev: only the dev project), as the supervisor proposes."""
        return stack in self.adapters.config.stacks and (self.adapters.env != 'dev' or stack == DEV_PROJECT)

    async def _state_now(self, trouble: Trouble) -> ServiceState | None:
        engine = self.adapters.engine
        try:
            details = await asyncio.to_thread(engine.inspect, trouble.container_id)
            image = await asyncio.to_thread(engine.image_ref, details.image_id)
        except EngineError as err:
            log.info('rollback watch: %s could not be inspected: %s', trouble.name, err)
            return None
        return state_of(trouble.stack, trouble.service, details, image)


def _trouble(info: ContainerInfo, why: str) -> Trouble:
    return Trouble(container_id=info.id, name=info.name, stack=info.stack or '', service=info.service or '', why=why)
