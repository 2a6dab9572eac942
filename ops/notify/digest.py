"""The one message a channel gets when its quiet hours end: how many were held and their titles, oldest first."""

from __future__ import annotations

from dataclasses import dataclass

from ops.notify.outbox import OutboxMessage, Severity

_LISTED = 50  # titles in one digest; the rest are counted
_RANK = [Severity.INFO, Severity.WARNING, Severity.FAILURE, Severity.CRITICAL]


@dataclass(frozen=True)
class Digest:
    title: str
    body: str
    severity: Severity


def digest_of(held: list[OutboxMessage]) -> Digest:
    """The digest of `held` (in the order given): its severity is the gravest of theirs."""
    count = len(held)
    title = f'{count} notification{"" if count == 1 else "s"} held during quiet hours'
    lines = [f'{m.created_at.astimezone():%H:%M} {m.title}' for m in held[:_LISTED]]
    if count > _LISTED:
        lines.append(f'and {count - _LISTED} more')
    severity = max((m.severity for m in held), key=_RANK.index, default=Severity.INFO)
    return Digest(title, '\n'.join(lines), severity)
