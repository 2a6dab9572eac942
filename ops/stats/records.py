"""Stored stats history: per-container rollups (1 and 15 minutes) and health and uptime intervals."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Uptime(StrEnum):
    """Where a container was during an interval: up (with its healthcheck's verdict, or plain running without
    one), paused, or not running (exited, dead, created or restarting)."""

    RUNNING = 'running'
    STARTING = 'starting'
    HEALTHY = 'healthy'
    UNHEALTHY = 'unhealthy'
    PAUSED = 'paused'
    EXITED = 'exited'


class HealthMark(StrEnum):
    """Something that happened to a container: a start after a die, or the kernel killing it for memory."""

    RESTART = 'restart'
    OOM = 'oom'


class StatRollup(Model):
    """One container name over one bucket (60 or 900 seconds from `bucket_start`, unix seconds). Averages are
    over `samples` samples and rates (bytes/s) over `rate_seconds` seconds of counter differences."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=255)
    container_id = fields.CharField(max_length=12)
    stack = fields.CharField(max_length=128, null=True)
    resolution = fields.SmallIntField()
    bucket_start = fields.IntField()
    samples = fields.SmallIntField()
    cpu_avg = fields.FloatField()
    cpu_max = fields.FloatField()
    memory_avg = fields.BigIntField()
    memory_max = fields.BigIntField()
    memory_limit = fields.BigIntField(null=True)
    rate_seconds = fields.IntField()
    net_rx_rate = fields.FloatField()
    net_tx_rate = fields.FloatField()
    block_read_rate = fields.FloatField()
    block_write_rate = fields.FloatField()
    pids_max = fields.IntField()

    class Meta:
        table = 'stat_rollups'
        # A container's chart walks (name, resolution, time), the host's top consumers and pruning (resolution, time).
        indexes = (('name', 'resolution', 'bucket_start'), ('resolution', 'bucket_start'))


class HealthInterval(Model):
    """One container name in one state from `start` to `end` (NULL while it lasts), with the exit code of an exit."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=255)
    container_id = fields.CharField(max_length=12)
    state = fields.CharEnumField(Uptime, max_length=16)
    start = fields.DatetimeField()
    end = fields.DatetimeField(null=True)
    exit_code = fields.IntField(null=True)

    class Meta:
        table = 'health_intervals'
        indexes = (('name', 'start'), ('end',))


class HealthEvent(Model):
    """A restart or an OOM kill of a container name at one moment (the exit code of the die before a restart)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=255)
    container_id = fields.CharField(max_length=12)
    kind = fields.CharEnumField(HealthMark, max_length=16)
    at = fields.DatetimeField()
    exit_code = fields.IntField(null=True)

    class Meta:
        table = 'health_events'
        indexes = (('name', 'kind', 'at'), ('at',))
