"""The alert keeper: watchers tell it which conditions hold; it opens an alert once per subject (rule + target)
after the rule's hold time, updates it rather than repeating it, resolves it when the condition clears, and
publishes each of these (and each acknowledgement and snooze) for the messages, the journal and the pages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from ops import clock
from ops.alerts.records import Alert, AlertState
from ops.alerts.rules import AlertSeverity, Rule, RuleBook
from ops.bus import Event
from ops.clock import utc_now
from ops.log_text import one_line
from ops.store.audit import AuditLog
from ops.store.audit_kinds import AuditKind

log = logging.getLogger(__name__)

Subject = tuple[Rule, str]
TICK = 1.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Condition:
    """Something wrong now: which rule, about what (`target`), in one line, with its evidence; `group` gathers a
    burst (a stack's name) into one message; `since`, when known, is when it began (a proposed action's creation,
    the reboot flag's time): the rule's hold time counts from there, across restarts, instead of from first sight."""

    rule: Rule
    target: str
    summary: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    group: str = ''
    since: datetime | None = None


class Change(StrEnum):
    OPENED = 'opened'
    UPDATED = 'updated'
    RESOLVED = 'resolved'
    ACKNOWLEDGED = 'acknowledged'
    SNOOZED = 'snoozed'


@dataclass(frozen=True, kw_only=True, slots=True)
class AlertChange:
    """One thing that happened to an alert (published once it is stored)."""

    change: Change
    alert_id: int
    rule: Rule
    target: str
    severity: AlertSeverity
    summary: str
    group: str = ''
    actor: str | None = None

    @classmethod
    def of(cls, change: Change, alert: Alert, *, actor: str | None = None) -> AlertChange:
        return cls(
            change=change,
            alert_id=alert.id,
            rule=alert.rule,
            target=alert.target,
            severity=alert.severity,
            summary=alert.summary,
            group=alert.group,
            actor=actor,
        )

    def as_record(self) -> dict[str, Any]:
        """The event journal's record of it."""
        return {
            'source': 'alert',
            'kind': self.change.value,
            'alert_id': self.alert_id,
            'rule': self.rule.value,
            'target': self.target,
            'severity': self.severity.value,
            'summary': self.summary,
            'actor': self.actor,
        }


class AlertProblem(Exception):
    """An acknowledgement or snooze that cannot be done (no such alert, already resolved)."""


class AlertKeeper:
    """Holds the open alerts (in memory and in the store) and the conditions still inside their hold time."""

    def __init__(self, rules: RuleBook, *, audit: AuditLog | None = None) -> None:
        self.rules = rules
        self.audit = audit
        self.changed: Event[AlertChange] = Event()
        self._open: dict[Subject, Alert] = {}
        self._waiting: dict[Subject, tuple[float, Condition]] = {}  # held since (monotonic), not open yet
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()

    async def load(self) -> None:
        """Take up the alerts left open by the last run; those of a rule now switched off are resolved."""
        for alert in await Alert.filter(state=AlertState.OPEN).order_by('id'):
            self._open[(alert.rule, alert.target)] = alert
        for subject, alert in list(self._open.items()):
            if not self.rules[alert.rule].enabled:
                await self.clear(*subject, resolution='the rule was switched off')

    def open_alerts(self) -> list[Alert]:
        """The open alerts, worst first, then newest."""
        order = {AlertSeverity.CRITICAL: 0, AlertSeverity.WARNING: 1, AlertSeverity.INFO: 2}
        return sorted(self._open.values(), key=lambda a: (order[a.severity], -a.id))

    def is_open(self, rule: Rule, target: str) -> bool:
        return (rule, target) in self._open

    def forget(self, rule: Rule, target: str) -> None:
        """A condition still waiting out its hold time no longer holds (an open alert is left to `clear`)."""
        self._waiting.pop((rule, target), None)

    async def hold(self, condition: Condition) -> None:
        """The condition holds now: open its alert (once its rule's hold time has passed) or update the open one."""
        settings = self.rules[condition.rule]
        if not settings.enabled:
            return
        subject = (condition.rule, condition.target)
        async with self._lock:
            if subject in self._open:
                await self._update(self._open[subject], condition)
                return
            since, _ = self._waiting.get(subject, (clock.monotonic(), condition))
            self._waiting[subject] = (since, condition)
            if _held(condition, since, settings.after):
                await self._open_now(subject)

    async def add_evidence(self, rule: Rule, target: str, evidence: Mapping[str, Any]) -> bool:
        """More evidence for the open alert or the condition still waiting out its hold time (never opens one, nor
        opens one again); False when there is neither."""
        subject = (rule, target)
        async with self._lock:
            if (alert := self._open.get(subject)) is not None:
                more = {**alert.evidence, **evidence}
                condition = Condition(rule=rule, target=target, summary=alert.summary, evidence=more, group=alert.group)
                await self._update(alert, condition)
                return True
            if subject in self._waiting:
                since, condition = self._waiting[subject]
                self._waiting[subject] = (since, replace(condition, evidence={**condition.evidence, **evidence}))
                return True
        return False

    async def clear(self, rule: Rule, target: str, *, resolution: str = '', quiet: bool = False) -> None:
        """The condition no longer holds: forget it while waiting, or resolve its open alert (`quiet`: without a
        message, when another alert about the same thing takes over)."""
        subject = (rule, target)
        async with self._lock:
            self._waiting.pop(subject, None)
            alert = self._open.pop(subject, None)
            if alert is None:
                return
            now = utc_now()
            alert.state, alert.open_key, alert.resolved_at = AlertState.RESOLVED, None, now
            alert.updated_at, alert.resolution = now, one_line(resolution, 500)
            alert.told_resolved = alert.told_resolved or quiet
            fields = ['state', 'open_key', 'resolved_at', 'updated_at', 'resolution', 'told_resolved']
            try:
                await alert.save(update_fields=fields)
            except Exception:
                self._open[subject] = alert  # stays open here; the next clear tries again
                log.exception('alert %d could not be resolved in the store', alert.id)
                return
            self._publish(Change.RESOLVED, alert)

    async def sync(
        self,
        rule: Rule,
        conditions: Iterable[Condition],
        *,
        covers: Callable[[str], bool] | None = None,
        resolution: Callable[[str], str] | None = None,
    ) -> None:
        """Exactly these conditions of `rule` hold now: hold each, clear every other subject of the rule (of those
        `covers` says this look was about, when given), each saying why (`resolution` of its target)."""
        holding = {c.target: c for c in conditions if c.rule is rule}
        known = {target for (r, target) in [*self._open, *self._waiting] if r is rule}
        for target in sorted(known - set(holding)):
            if covers is None or covers(target):
                await self.clear(rule, target, resolution=resolution(target) if resolution is not None else '')
        for condition in holding.values():
            await self.hold(condition)

    async def tick(self) -> None:
        """Open the conditions whose hold time has passed while nobody reported them again."""
        async with self._lock:
            due = [s for s, (since, c) in self._waiting.items() if _held(c, since, self.rules[c.rule].after)]
            for subject in due:
                if subject in self._waiting and subject not in self._open:
                    await self._open_now(subject)

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception('alert keeper tick failed')
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), TICK)

    def stop(self) -> None:
        self._stopping.set()

    async def acknowledge(self, alert_id: int, *, actor: str, origin: str) -> Alert:
        """Someone is on it (audited with who): the alert stays open until its condition clears."""
        async with self._lock:
            alert = self._open_one(alert_id)
            assert self.audit is not None
            now = utc_now()
            async with self.audit.recording(
                AuditKind.ALERT_ACKNOWLEDGED, actor=actor, origin=origin, detail=_about(alert)
            ):
                await Alert.filter(id=alert.id).update(acknowledged_by=actor, acknowledged_at=now)
            # Only once stored and audited: a failed write leaves the alert as it was, here as in the store.
            alert.acknowledged_by, alert.acknowledged_at = actor, now
            self._publish(Change.ACKNOWLEDGED, alert, actor=actor)
            return alert

    async def snooze(self, alert_id: int, *, until: datetime, actor: str, origin: str) -> Alert:
        """No messages about this subject until `until` (audited with who), even if it resolves and opens again."""
        async with self._lock:
            alert = self._open_one(alert_id)
            assert self.audit is not None
            detail = {**_about(alert), 'until': until.isoformat(timespec='seconds')}
            async with self.audit.recording(AuditKind.ALERT_SNOOZED, actor=actor, origin=origin, detail=detail):
                await Alert.filter(id=alert.id).update(snoozed_until=until, snoozed_by=actor)
            alert.snoozed_until, alert.snoozed_by = until, actor
            self._publish(Change.SNOOZED, alert, actor=actor)
            return alert

    # ---- internals --------------------------------------------------------------------------------

    def _open_one(self, alert_id: int) -> Alert:
        for alert in self._open.values():
            if alert.id == alert_id:
                return alert
        raise AlertProblem(f'alert #{alert_id} is not open')

    async def _open_now(self, subject: Subject) -> None:
        _, condition = self._waiting.pop(subject)
        now = utc_now()
        snoozed = await _snoozed_until(subject, now)
        try:
            alert = await Alert.create(
                rule=condition.rule,
                target=condition.target[:255],
                open_key=f'{condition.rule.value}:{condition.target}'[:300],
                severity=self.rules[condition.rule].severity,
                summary=one_line(condition.summary, 500),
                evidence=dict(condition.evidence),
                group=condition.group[:128],
                opened_at=now,
                updated_at=now,
                snoozed_until=snoozed,
            )
        except Exception:
            self._waiting[subject] = (clock.monotonic(), condition)  # tried again at the next report or tick
            log.exception('alert %s could not be stored', subject)
            return
        self._open[subject] = alert
        log.warning('alert #%d opened: %s', alert.id, alert.summary)
        self._publish(Change.OPENED, alert)

    async def _update(self, alert: Alert, condition: Condition) -> None:
        summary, evidence = one_line(condition.summary, 500), dict(condition.evidence)
        if summary == alert.summary and evidence == alert.evidence:
            return
        alert.summary, alert.evidence, alert.updated_at = summary, evidence, utc_now()
        alert.updates += 1
        try:
            await alert.save(update_fields=['summary', 'evidence', 'updated_at', 'updates'])
        except Exception:
            log.exception('alert %d could not be updated in the store', alert.id)
            return
        self._publish(Change.UPDATED, alert)

    def _publish(self, change: Change, alert: Alert, *, actor: str | None = None) -> None:
        self.changed.emit(AlertChange.of(change, alert, actor=actor))


def _held(condition: Condition, first_seen: float, after: float) -> bool:
    """Whether the condition has held for the rule's hold time (from its own start when it knows it)."""
    if condition.since is not None:
        return (utc_now() - condition.since).total_seconds() >= after
    return clock.monotonic() - first_seen >= after


async def _snoozed_until(subject: Subject, now: datetime) -> datetime | None:
    """A snooze of the subject's last alert that still runs carries over to its next opening."""
    last = await Alert.filter(rule=subject[0], target=subject[1]).order_by('-id').first()
    if last is not None and last.snoozed_until is not None and last.snoozed_until > now:
        return last.snoozed_until
    return None


def _about(alert: Alert) -> dict[str, Any]:
    return {'alert_id': alert.id, 'rule': alert.rule.value, 'target': alert.target}
