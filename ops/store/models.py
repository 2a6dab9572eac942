"""The tables of the console's SQLite database."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


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
