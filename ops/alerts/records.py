"""Alerts as the store keeps them: one row per opening of a subject (rule + target), and which outbox messages
told of it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from ops.alerts.rules import AlertSeverity, Rule


class AlertState(StrEnum):
    OPEN = 'open'
    RESOLVED = 'resolved'


class Alert(Model):
    """One alert from its opening to its resolution. `open_key` (rule and target) is set while open and unique, so
    a subject has at most one open alert. `told_opened`/`told_resolved`: its messages are in the outbox."""

    id = fields.IntField(primary_key=True)
    rule = fields.CharEnumField(Rule, max_length=32)
    target = fields.CharField(max_length=255)
    open_key = fields.CharField(max_length=300, null=True, unique=True)
    severity = fields.CharEnumField(AlertSeverity, max_length=16)
    state = fields.CharEnumField(AlertState, max_length=16, default=AlertState.OPEN)
    summary = fields.CharField(max_length=500)
    evidence: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    group = fields.CharField(max_length=128, default='')
    opened_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)
    resolution = fields.CharField(max_length=500, default='')
    updates = fields.IntField(default=0)
    acknowledged_by = fields.CharField(max_length=128, null=True)
    acknowledged_at = fields.DatetimeField(null=True)
    snoozed_until = fields.DatetimeField(null=True)
    snoozed_by = fields.CharField(max_length=128, null=True)
    told_opened = fields.BooleanField(default=False)
    told_resolved = fields.BooleanField(default=False)

    class Meta:
        table = 'alerts'
        # The Alerts page pages by id within a state, a rule or a target (keyset), newest first.
        indexes = (('state', 'id'), ('rule', 'id'), ('target', 'id'))


class AlertMessage(Model):
    """An outbox message that told of an alert (a grouped message tells of several)."""

    id = fields.IntField(primary_key=True)
    alert_id = fields.IntField(db_index=True)
    message_id = fields.IntField(db_index=True)
    kind = fields.CharField(max_length=16)  # opened or resolved

    class Meta:
        table = 'alert_messages'
