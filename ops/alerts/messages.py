"""What an alert says to the channels: each opening and resolution becomes a message in the outbox, a burst of
one rule in one group (ten containers of a stack stopping together) becomes one message naming them all."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ops import clock
from ops.alerts.keeper import AlertChange, Change
from ops.alerts.records import Alert, AlertMessage, AlertState
from ops.alerts.rules import AlertSeverity, Rule, RuleBook
from ops.clock import age_text, utc_now
from ops.log_text import one_line
from ops.notify.outbox import Severity
from ops.notify.sender import Sender

log = logging.getLogger(__name__)

Bucket = tuple[Change, Rule, str]
_LISTED = 20  # a grouped message names at most this many, then says how many more
_EVIDENCE_LINES = 12
_BLOCK_LINES = 20
CATCH_UP = timedelta(days=1)  # a resolution older than this that was never told stays untold


@dataclass(slots=True)
class _Burst:
    due: float
    alert_ids: list[int] = field(default_factory=list)


class Messenger:
    """Gathers openings and resolutions for `group_window` seconds per (change, rule, group), then queues one
    message per channel of the rule; marks each alert told so a restart neither loses nor repeats one."""

    def __init__(self, rules: RuleBook, sender: Sender) -> None:
        self.rules = rules
        self.sender = sender
        self._bursts: dict[Bucket, _Burst] = {}
        self._wake = asyncio.Event()
        self._stopping = False

    def heard(self, change: AlertChange) -> None:
        """A keeper subscriber: openings and resolutions join their burst."""
        if change.change not in (Change.OPENED, Change.RESOLVED):
            return
        bucket = (change.change, change.rule, change.group or f'target:{change.target}')
        burst = self._bursts.get(bucket)
        if burst is None:
            burst = self._bursts[bucket] = _Burst(due=clock.monotonic() + self.rules.group_window)
        burst.alert_ids.append(change.alert_id)
        self._wake.set()

    async def catch_up(self) -> None:
        """Alerts whose messages never reached the outbox (the console stopped within a group window) join now."""
        since = utc_now() - CATCH_UP
        for alert in await Alert.filter(told_opened=False, opened_at__gte=since).order_by('id'):
            self.heard(AlertChange.of(Change.OPENED, alert))
        for alert in await Alert.filter(state=AlertState.RESOLVED, told_resolved=False, resolved_at__gte=since):
            self.heard(AlertChange.of(Change.RESOLVED, alert))

    async def run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self.flush(due_only=True)
            except Exception:
                log.exception('alert messages could not be queued; trying again')
            pause = min((b.due for b in self._bursts.values()), default=clock.monotonic() + 60) - clock.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.05, pause))

    async def stop(self) -> None:
        """Queue what is still gathering, then end run()."""
        self._stopping = True
        self._wake.set()
        with contextlib.suppress(Exception):
            await self.flush(due_only=False)

    async def flush(self, *, due_only: bool) -> None:
        now = clock.monotonic()
        for bucket, burst in list(self._bursts.items()):
            if due_only and burst.due > now:
                continue
            del self._bursts[bucket]
            try:
                await self._tell(bucket, burst.alert_ids)
            except Exception:
                self._bursts.setdefault(bucket, _Burst(due=now + 5.0)).alert_ids.extend(burst.alert_ids)
                raise

    async def _tell(self, bucket: Bucket, alert_ids: list[int]) -> None:
        change, rule, _ = bucket
        alerts = await Alert.filter(id__in=sorted(set(alert_ids))).order_by('id')
        told_flag = 'told_opened' if change is Change.OPENED else 'told_resolved'
        now = utc_now()
        to_tell = [a for a in alerts if not getattr(a, told_flag) and not _snoozed(a, now)]
        if change is Change.RESOLVED:  # nobody was told of the opening (snoozed, no channel): no news of its end
            links = await AlertMessage.filter(alert_id__in=[a.id for a in to_tell], kind=Change.OPENED.value)
            told = {link.alert_id for link in links}
            to_tell = [a for a in to_tell if a.id in told]
        settings = self.rules[rule]
        channels = channels_for(rule, settings.channels, to_tell)
        if to_tell and channels:
            title, body = compose(change, settings.label, to_tell)
            severity = _outbox_severity(max(to_tell, key=_rank).severity) if change is Change.OPENED else Severity.INFO
            key = dedup_key(change, to_tell)
            for channel in channels:
                message, new = await self.sender.enqueue(channel, key, title=title, body=body, severity=severity)
                if not new:
                    continue  # queued before (a retry after a failure, a restart): linked then
                await AlertMessage.bulk_create(
                    [AlertMessage(alert_id=a.id, message_id=message.id, kind=change.value) for a in to_tell]
                )
        if alerts:
            await Alert.filter(id__in=[a.id for a in alerts]).update(**{told_flag: True})


def channels_for(rule: Rule, channels: Sequence[str], alerts: Sequence[Alert]) -> list[str]:
    """The rule's channels, but a channel that fails to deliver is not told about itself (it would fail again)."""
    if rule is not Rule.DELIVERY_FAILED:
        return list(channels)
    failing = {alert.target for alert in alerts}
    return [channel for channel in channels if channel not in failing]


def compose(change: Change, label: str, alerts: Sequence[Alert]) -> tuple[str, str]:
    """The title and body of one message about one or more alerts of one rule."""
    resolved = change is Change.RESOLVED
    prefix = 'Resolved: ' if resolved else ''
    if len(alerts) == 1:
        alert = alerts[0]
        title = one_line(f'{prefix}{label}: {alert.target}', 250)
        return title, _one_body(alert, resolved)
    group = alerts[0].group
    where = f' in {group}' if group and all(a.group == group for a in alerts) else ''
    title = one_line(f'{prefix}{label}: {len(alerts)}{where}', 250)
    lines = [f'- {a.target}: {a.resolution if resolved and a.resolution else a.summary}' for a in alerts[:_LISTED]]
    if len(alerts) > _LISTED:
        lines.append(f'... and {len(alerts) - _LISTED} more')
    return title, '\n'.join(lines)


def _one_body(alert: Alert, resolved: bool) -> str:
    if resolved:
        lasted = age_text(alert.opened_at, alert.resolved_at) if alert.resolved_at else ''
        lines = [alert.resolution or 'The condition cleared.', f'Open for {lasted}.' if lasted else '']
        return '\n'.join(line for line in lines if line)
    lines = [alert.summary]
    blocks = []
    for key, value in list(alert.evidence.items())[:_EVIDENCE_LINES]:
        if isinstance(value, str) and '\n' in value:  # a block of lines (a container's last words): kept as lines
            blocks.append(_block(key, value))
        elif value not in (None, '', [], {}):
            lines.append(f'{key.replace("_", " ")}: {one_line(value, 300)}')
    lines.append(f'Since {alert.opened_at:%Y-%m-%d %H:%M:%S} UTC.')
    return '\n'.join([*lines, *blocks])


def _block(key: str, text: str) -> str:
    """A multi-line evidence value under its name, each line indented (and cut), at most _BLOCK_LINES lines."""
    rows = text.split('\n')[-_BLOCK_LINES:]
    return '\n'.join([f'{key.replace("_", " ").capitalize()}:', *(f'  {one_line(row, 300)}' for row in rows)])


def dedup_key(change: Change, alerts: Sequence[Alert]) -> str:
    """The same alerts' same change is one message per channel, however often it is queued."""
    ids = ','.join(str(a.id) for a in alerts)
    if len(ids) > 200:
        ids = hashlib.sha256(ids.encode()).hexdigest()
    return f'alert-{change.value}:{ids}'


def _snoozed(alert: Alert, now: datetime) -> bool:
    return alert.snoozed_until is not None and alert.snoozed_until > now


_RANK = {AlertSeverity.INFO: 0, AlertSeverity.WARNING: 1, AlertSeverity.CRITICAL: 2}


def _rank(alert: Alert) -> int:
    return _RANK[alert.severity]


def _outbox_severity(severity: AlertSeverity) -> Severity:
    return {
        AlertSeverity.INFO: Severity.INFO,
        AlertSeverity.WARNING: Severity.WARNING,
        AlertSeverity.CRITICAL: Severity.CRITICAL,
    }[severity]
