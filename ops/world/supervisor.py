"""The supervisor: compares each configured stack's files with the observed world and keeps the action
queue in line with the differences. It re-evaluates when the world changes (observer events), when the
repository's stack files change (watched, debounced), when an action ends, and on the image-check timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from ops.adapters import DEV_PROJECT, Adapters
from ops.bus import Event
from ops.config import parse_duration
from ops.log_text import one_line
from ops.maintenance.pins import pinned_services
from ops.world.action_states import ActionState
from ops.world.actions import SUPERVISOR, ActionQueue, ActionUpdate, Proposer
from ops.world.desired import StackWant, read_stack, repository_fingerprint
from ops.world.drift import Drift, find_drift
from ops.world.freshness import ImageFreshness
from ops.world.observer import Observer
from ops.world.plans import plan_for

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class StackReport:
    """One stack's last evaluation: its desired state (or why its files are invalid) and its drift."""

    name: str
    want: StackWant
    drifts: tuple[Drift, ...] = field(default_factory=tuple)
    settling: tuple[Drift, ...] = field(default_factory=tuple)
    pinned: tuple[tuple[str, str], ...] = ()  # (service, digest) held by a rollback pin: updates of these wait
    checked_at: float = field(default=0.0, compare=False)


class Supervisor:
    """Owns the desired state and the drift picture; proposes through the ActionQueue."""

    def __init__(
        self,
        adapters: Adapters,
        observer: Observer,
        queue: ActionQueue,
        *,
        freshness: ImageFreshness | None = None,
        settle: float | None = None,
        debounce: float = 0.5,
        watch_interval: float = 1.0,
    ) -> None:
        self.adapters = adapters
        self.observer = observer
        self.queue = queue
        drift_config = adapters.config.drift
        self.image_check = float(parse_duration(drift_config.image_check))
        self.freshness = freshness or ImageFreshness(adapters.engine, ttl=self.image_check)
        self.settle = drift_config.settle_seconds if settle is None else settle
        self.debounce = debounce
        self.watch_interval = watch_interval
        self.reports: dict[str, StackReport] = {}
        self.changed: Event[None] = Event()
        self._wants: dict[str, StackWant] = {}
        self._fingerprint: str | None = None
        self._first_seen: dict[str, float] = {}
        self._found_by: dict[str, Proposer] = {}  # image updates a schedule's image check found first: proposed as it
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._lock = asyncio.Lock()
        self._images_due = 0.0
        self._unsubscribe = [
            observer.container_changed.subscribe(lambda _: self.poke()),
            observer.reconciled.subscribe(lambda _: self.poke()),
            queue.changed.subscribe(self._on_action),
        ]
        queue.planner = self._plan

    @property
    def drifts(self) -> list[Drift]:
        """Every current drift (settled or not), stack by stack."""
        return [d for name in sorted(self.reports) for d in self.reports[name].drifts]

    def poke(self) -> None:
        """Something changed: evaluate soon (changes within `debounce` seconds are taken together)."""
        self._wake.set()

    async def run(self) -> None:
        """Evaluate on every wake-up, watch the files, and refresh image freshness on its timer, until stop()."""
        try:
            while not self._stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._next_timeout())
                if self._stopping.is_set():
                    break
                if self._wake.is_set():
                    # Debounce: a burst of events (a recreate, a crash loop) is evaluated once.
                    await asyncio.sleep(self.debounce)
                self._wake.clear()
                try:
                    await self.evaluate()
                except Exception:  # the supervisor must outlive any surprise; the next change retries
                    log.exception('drift evaluation failed')
        finally:
            for unsubscribe in self._unsubscribe:
                unsubscribe()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def evaluate(
        self, *, refresh_images: bool = False, reread: bool = False, proposer: Proposer = SUPERVISOR
    ) -> list[Drift]:
        """Compare every configured stack now; propose/supersede actions; return the drifts. `proposer`: who asked
        for the image check (a schedule): the image updates this evaluation finds first are proposed as it, also when
        they settle at a later evaluation; what the supervisor would have found anyway (a stopped container) is its."""
        async with self._lock:
            fingerprint = await repository_fingerprint(self.adapters)
            if reread or fingerprint != self._fingerprint:
                if self._fingerprint is not None and fingerprint != self._fingerprint:
                    log.info('stack files changed in the repository: reading them again')
                self._wants.clear()
                self._fingerprint = fingerprint
            if self.observer.engine_state.reachable is not True:
                return self.drifts  # the world is not known now: keep the last picture, propose nothing
            now = time.monotonic()
            check_images = refresh_images or now >= self._images_due
            if check_images:
                self._images_due = now + self.image_check
            compose = self.adapters.compose
            settled: list[Drift] = []
            reports: dict[str, StackReport] = {}
            containers = list(self.observer.containers.values())
            pinned = await pinned_services()
            for name in sorted(self.adapters.config.stacks):
                want = self._wants.get(name)
                if want is None:
                    want = self._wants[name] = await read_stack(self.adapters, compose, name)
                updates = {}
                if want.valid:
                    pairs = [
                        (info, image)
                        for info in containers
                        if info.stack == name
                        and info.service in want.services
                        and (image := want.services[info.service].image)
                    ]
                    updates = await self.freshness.updates(pairs, refresh=refresh_images)
                drifts = find_drift(want, containers, updates)
                if proposer != SUPERVISOR:
                    for drift in drifts:
                        if drift.kind == 'image' and drift.actionable and drift.key not in self._first_seen:
                            self._found_by.setdefault(drift.key, proposer)
                ready = [d for d in drifts if self._settled(d, now)]
                if self._may_change(name):
                    settled.extend(ready)
                reports[name] = StackReport(
                    name=name,
                    want=want,
                    drifts=tuple(drifts),
                    settling=tuple(d for d in drifts if d not in ready),
                    pinned=pinned.get(name, ()),
                    checked_at=time.time(),
                )
            live = {d.key for report in reports.values() for d in report.drifts}
            self._first_seen = {key: seen for key, seen in self._first_seen.items() if key in live}
            self._found_by = {key: who for key, who in self._found_by.items() if key in live}
            changed = reports != self.reports
            log_drift_changes(self.reports, reports)
            self.reports = reports
            for action in await self.queue.sync(settled, stacks=list(reports), proposers=self._found_by):
                self._found_by.pop(action.drift_key, None)
            if changed:
                self.changed.emit(None)
            return self.drifts

    def _may_change(self, stack: str) -> bool:
        """HOMELAB_ENV=dev changes only the dev project: other stacks' drift is shown, never proposed."""
        return self.adapters.env != 'dev' or stack == DEV_PROJECT

    def _settled(self, drift: Drift, now: float) -> bool:
        if not drift.actionable:
            return True
        seen = self._first_seen.setdefault(drift.key, now)
        return now - seen >= self.settle

    def _next_timeout(self) -> float:
        timeout = self.watch_interval
        now = time.monotonic()
        for seen in self._first_seen.values():
            remaining = seen + self.settle - now
            if remaining > 0:
                timeout = min(timeout, remaining + 0.05)
        return max(timeout, 0.05)

    def _on_action(self, update: ActionUpdate) -> None:
        if update.state in {ActionState.DONE, ActionState.FAILED}:
            self.poke()

    async def _plan(self, drift: Drift) -> dict[str, object]:
        want = self._wants.get(drift.stack)
        if want is None or not want.valid:
            return {'steps': [], 'dry_run': [], 'diff': [], 'error': 'the stack files are not valid'}
        return await plan_for(drift, want, self.adapters, self.adapters.compose)


def log_drift_changes(before: dict[str, StackReport], after: dict[str, StackReport]) -> None:
    """One log line per drift that appeared or went away, with its key (the id its action carries)."""
    old = {drift.key: drift for report in before.values() for drift in report.drifts}
    new = {drift.key: drift for report in after.values() for drift in report.drifts}
    for key in sorted(new.keys() - old.keys()):
        log.info('drift found: %s', _drift_text(new[key]))
    for key in sorted(old.keys() - new.keys()):
        log.info('drift resolved: %s', _drift_text(old[key]))


def _drift_text(drift: Drift) -> str:
    return one_line(f'{drift.stack}/{drift.subject} {drift.kind} ({drift.key})')
