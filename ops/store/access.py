"""Tables for getting in: server-side sign-in sessions and API tokens (both stored only as hashes)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class LoginSession(Model):
    """A signed-in browser: the cookie holds a random id, the table only its hash."""

    id = fields.IntField(primary_key=True)
    sid_hash = fields.CharField(max_length=64, unique=True)
    username = fields.CharField(max_length=64, db_index=True)
    client = fields.CharField(max_length=64, default='')
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)
    end_reason = fields.CharField(max_length=32, default='')

    class Meta:
        table = 'login_sessions'


class ApiToken(Model):
    """A bearer token for the JSON routes (`homelab token create`)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, db_index=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = 'api_tokens'


class SecondFactor(Model):
    """A user's TOTP enrolment (RFC 6238) and the last time step used, so a code works only once."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    secret = fields.CharField(max_length=64)
    last_step = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = 'second_factors'


class RecoveryCode(Model):
    """A one-time code for when the authenticator is lost (stored as a hash, shown once at enrolment)."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, db_index=True)
    code_hash = fields.CharField(max_length=64, unique=True)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = 'recovery_codes'
