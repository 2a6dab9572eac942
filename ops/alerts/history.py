"""The alert history for people: every alert newest first (filtered, paged by keyset) and what each one's
messages did on each channel."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ops.alerts.records import Alert, AlertMessage, AlertState
from ops.alerts.rules import AlertSeverity, Rule
from ops.notify.outbox import MessageState, OutboxMessage
from ops.store.queries import Page, keyset_page


@dataclass(frozen=True, kw_only=True, slots=True)
class AlertFilter:
    """What the Alerts page's history shows: any field left None means any; `target` matches part of it."""

    rule: Rule | None = None
    severity: AlertSeverity | None = None
    state: AlertState | None = None
    target: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Delivery:
    """One message about an alert on one channel: how far it got (its error is scrubbed by the sender)."""

    message_id: int
    channel: str
    kind: str  # opened or resolved
    state: MessageState
    attempts: int
    error: str | None


async def alerts_page(*, before: int | None = None, limit: int = 50, where: AlertFilter | None = None) -> Page[Alert]:
    """One page of alerts, newest first."""
    f = where or AlertFilter()
    query = Alert.all()
    if f.rule is not None:
        query = query.filter(rule=f.rule)
    if f.severity is not None:
        query = query.filter(severity=f.severity)
    if f.state is not None:
        query = query.filter(state=f.state)
    if f.target:
        query = query.filter(target__icontains=f.target)
    return await keyset_page(query, before, limit)


async def deliveries_of(alert_ids: Iterable[int]) -> dict[int, list[Delivery]]:
    """The messages of these alerts, per alert, by channel then oldest first (a grouped message counts for each)."""
    links = await AlertMessage.filter(alert_id__in=sorted(set(alert_ids))).order_by('id')
    messages = {m.id: m for m in await OutboxMessage.filter(id__in=sorted({link.message_id for link in links}))}
    found: dict[int, list[Delivery]] = {}
    for link in links:
        message = messages.get(link.message_id)
        if message is None:
            continue
        found.setdefault(link.alert_id, []).append(
            Delivery(
                message_id=message.id,
                channel=message.channel,
                kind=link.kind,
                state=message.state,
                attempts=message.attempts,
                error=message.last_error,
            )
        )
    for deliveries in found.values():
        deliveries.sort(key=lambda d: (d.channel, d.message_id))
    return found
