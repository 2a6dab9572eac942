"""Every kind of event the audit trail records, as stored (the hash chain covers these exact strings)."""

from __future__ import annotations

from enum import StrEnum


class AuditKind(StrEnum):
    # The operation manager: a run asked for, riding on another, refused before it ran, ended.
    REQUESTED = 'requested'
    JOINED = 'joined'
    REJECTED = 'rejected'
    FINISHED = 'finished'
    # The action queue: proposed by the supervisor, approved or rejected by someone, a decision refused.
    ACTION_PROPOSED = 'action_proposed'
    ACTION_APPROVED = 'action_approved'
    ACTION_REJECTED = 'action_rejected'
    ACTION_REFUSED = 'action_refused'
    # Sign-in (password and OIDC) and open pages whose session ended.
    LOGIN_SUCCEEDED = 'login_succeeded'
    LOGIN_FAILED = 'login_failed'
    LOGIN_THROTTLED = 'login_throttled'
    SESSION_ENDED_REFUSED = 'session_ended_refused'
    # Account administration from the host (`homelab user|token`).
    USER_CREATED = 'user_created'
    PASSWORD_CHANGED = 'password_changed'  # noqa: S105 (a kind of event, not a secret)
    USER_DISABLED = 'user_disabled'
    TOTP_ENROLLED = 'totp_enrolled'
    TOTP_REMOVED = 'totp_removed'
    TOKEN_CREATED = 'token_created'  # noqa: S105 (a kind of event, not a secret)
    TOKEN_REVOKED = 'token_revoked'  # noqa: S105 (a kind of event, not a secret)
    # The store itself: a database restored from a backup, events found missing behind the anchored head.
    DB_RESTORED = 'db_restored'
    EVENTS_MISSING = 'audit_events_missing'
    # Notifications: a test message sent to the channels from the host (`homelab notify test`).
    NOTIFY_TEST = 'notify_test'
    # Alerts: someone acknowledged one, or snoozed its subject.
    ALERT_ACKNOWLEDGED = 'alert_acknowledged'
    ALERT_SNOOZED = 'alert_snoozed'
    # Schedules: a scheduled task ran (it only proposes), with what it found.
    SCHEDULE_RAN = 'schedule_ran'
