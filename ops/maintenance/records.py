"""The tables of maintenance: what each recreate replaced, rollback pins, and the last words of dead containers."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class KnownGood(Model):
    """What a recreate replaced: the service's image by digest, its config hash and settings, when it was replaced."""

    id = fields.IntField(primary_key=True)
    recorded_at = fields.DatetimeField(auto_now_add=True)
    stack = fields.CharField(max_length=64)
    service = fields.CharField(max_length=128)
    container_name = fields.CharField(max_length=255)
    # The image reference the container was made from (as the files named it) and the digest it ran:
    # `repository@sha256:...` when the image came from a registry, else the local image id `sha256:...`.
    image = fields.CharField(max_length=512)
    digest = fields.CharField(max_length=512)
    image_id = fields.CharField(max_length=128)
    config_hash = fields.CharField(max_length=64)
    settings: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)  # secret-looking values masked
    healthy = fields.BooleanField(default=True)  # it ran (and was healthy, when it had a healthcheck) when replaced
    run_id = fields.IntField(null=True)

    class Meta:
        table = 'known_good'
        indexes = (('stack', 'service', 'recorded_at'),)


class RollbackPin(Model):
    """A service held on an earlier image by an override file in $DATA until someone releases it."""

    id = fields.IntField(primary_key=True)
    stack = fields.CharField(max_length=64)
    service = fields.CharField(max_length=128)
    image = fields.CharField(max_length=512)  # the reference the files name (what the pin replaces)
    digest = fields.CharField(max_length=512)  # what runs instead: repository@sha256:... or a local image id
    known_good_id = fields.IntField(null=True)
    reason = fields.TextField(default='')
    pinned_at = fields.DatetimeField(auto_now_add=True)
    pinned_by = fields.CharField(max_length=128)
    released_at = fields.DatetimeField(null=True)
    released_by = fields.CharField(max_length=128, null=True)

    class Meta:
        table = 'rollback_pins'
        indexes = (('stack', 'service', 'released_at'),)


class LastWords(Model):
    """The last log lines of a container that died or was removed, kept for its page and its alert."""

    id = fields.IntField(primary_key=True)
    container_id = fields.CharField(max_length=64, db_index=True)
    name = fields.CharField(max_length=255, db_index=True)
    stack = fields.CharField(max_length=64, null=True)
    service = fields.CharField(max_length=128, null=True)
    image = fields.CharField(max_length=512, null=True)
    exit_code = fields.IntField(null=True)
    ended_at = fields.DatetimeField(db_index=True)
    lines = fields.TextField(default='')  # newline-separated, oldest first, at most last_words_bytes
    line_count = fields.IntField(default=0)
    dropped = fields.IntField(default=0)  # lines not kept (beyond the line or byte bound)

    class Meta:
        table = 'last_words'
