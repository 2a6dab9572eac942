"""The tables of the console's SQLite database."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from ops.runs import RunState
from ops.world.action_states import ActionState


class User(Model):
    """A person who may log in (created only from the CLI)."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    password_hash = fields.CharField(max_length=255)
    disabled = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_login_at = fields.DatetimeField(null=True)

    class Meta:
        table = 'users'


class Run(Model):
    """One request to run an operation, from acceptance or refusal to its end."""

    id = fields.IntField(primary_key=True)
    operation = fields.CharField(max_length=64, db_index=True)
    params: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    actor = fields.CharField(max_length=128, db_index=True)
    origin = fields.CharField(max_length=32)
    state = fields.CharEnumField(RunState, max_length=16, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    error: str | None = fields.TextField(null=True)  # type: ignore[assignment]
    result: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    output = fields.TextField(default='')
    dropped_lines = fields.IntField(default=0)
    joined_run_id = fields.IntField(null=True)
    owner = fields.CharField(max_length=64, default='')

    class Meta:
        table = 'runs'
        # Keyset pages filter by one column and walk ids backwards: (column, id) serves both at any depth.
        indexes = (('state', 'id'), ('operation', 'id'), ('actor', 'id'))


class AuditEvent(Model):
    """An append-only, hash-chained record of who asked for what and how it ended."""

    id = fields.IntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    actor = fields.CharField(max_length=128, db_index=True)
    origin = fields.CharField(max_length=32)
    kind = fields.CharField(max_length=32, db_index=True)
    operation = fields.CharField(max_length=64, null=True, db_index=True)
    run_id = fields.IntField(null=True, db_index=True)
    detail: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64)

    class Meta:
        table = 'audit_events'
        indexes = (('kind', 'id'), ('operation', 'id'), ('actor', 'id'), ('run_id', 'id'))


class HostSample(Model):
    """One psutil reading of the host: CPU, memory and load, kept for 48 hours for the Host page's trends."""

    id = fields.IntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    cpu_percent = fields.FloatField()
    memory_percent = fields.FloatField()
    load1 = fields.FloatField()
    load5 = fields.FloatField()
    load15 = fields.FloatField()

    class Meta:
        table = 'host_samples'


class Action(Model):
    """A proposed change that brings one drift back in line, and what became of it (see ops.world.actions)."""

    id = fields.IntField(primary_key=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)
    stack = fields.CharField(max_length=64, db_index=True)
    service = fields.CharField(max_length=128, null=True)
    container = fields.CharField(max_length=128, null=True)
    kind = fields.CharField(max_length=16)
    drift_key = fields.CharField(max_length=255, db_index=True)
    title = fields.CharField(max_length=255)
    detail = fields.TextField(default='')
    operation = fields.CharField(max_length=64)
    params: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    plan: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    state = fields.CharEnumField(ActionState, max_length=16, db_index=True)
    auto = fields.BooleanField(default=False)
    decided_by = fields.CharField(max_length=128, null=True)
    decided_at = fields.DatetimeField(null=True)
    run_id = fields.IntField(null=True)
    error: str | None = fields.TextField(null=True)  # type: ignore[assignment]
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = 'actions'
        indexes = (('state', 'id'),)
