"""The outbox: every message waits in SQLite until its channel took it (or it is given up as failed)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.models import Model

from ops.clock import utc_now


class MessageState(StrEnum):
    PENDING = 'pending'
    HELD = 'held'  # queued during its channel's quiet hours: goes out in one digest when they end
    SENT = 'sent'
    FAILED = 'failed'


class Severity(StrEnum):
    INFO = 'info'
    WARNING = 'warning'
    FAILURE = 'failure'
    CRITICAL = 'critical'  # the one severity quiet hours do not hold


class OutboxMessage(Model):
    """One message for one channel. (channel, dedup_key) is unique: the same message is never queued twice."""

    id = fields.IntField(primary_key=True)
    channel = fields.CharField(max_length=32)
    dedup_key = fields.CharField(max_length=255)
    title = fields.CharField(max_length=255)
    body = fields.TextField()
    severity = fields.CharEnumField(Severity, max_length=16, default=Severity.INFO)
    created_at = fields.DatetimeField(auto_now_add=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    state = fields.CharEnumField(MessageState, max_length=16, default=MessageState.PENDING)
    last_error: str | None = fields.TextField(null=True)  # type: ignore[assignment]  # always scrubbed
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = 'outbox_messages'
        unique_together = (('channel', 'dedup_key'),)
        # The sender asks which pending messages are due, oldest first (no semicolon in the docstring above: the SQLite
        # migration splits its statements on them, and the docstring becomes the table's comment).
        indexes = (('state', 'next_attempt_at', 'id'),)


async def enqueue(
    channel: str,
    dedup_key: str,
    *,
    title: str,
    body: str,
    severity: Severity = Severity.INFO,
    now: datetime | None = None,
    held_until: datetime | None = None,
) -> tuple[OutboxMessage, bool]:
    """Queue a message created `now` (default: the clock's) and due then, or held until `held_until`; returns it and
    whether it is new (False: that channel already has this dedup key)."""
    moment = now or utc_now()
    try:
        message = await OutboxMessage.create(
            channel=channel,
            dedup_key=dedup_key,
            title=title,
            body=body,
            severity=severity,
            state=MessageState.PENDING if held_until is None else MessageState.HELD,
            created_at=moment,
            next_attempt_at=held_until or moment,
        )
    except IntegrityError:
        return await OutboxMessage.get(channel=channel, dedup_key=dedup_key), False
    return message, True
