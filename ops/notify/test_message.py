"""A test message to notification channels, sent now (not through the outbox) and audited with who sent it:
`homelab notify test` and the Alerts page's Send test go this one way."""

from __future__ import annotations

from collections.abc import Sequence

from ops.config import NotifyConfig
from ops.notify.channels import Outcome, send
from ops.store.audit import AuditLog
from ops.store.audit_kinds import AuditKind

TITLE = 'Homelab console: test message'
BODY = 'A test of this notification channel, sent with `homelab notify test`. Nothing is wrong.'


async def send_test(
    notify: NotifyConfig,
    names: Sequence[str],
    *,
    audit: AuditLog,
    actor: str,
    origin: str,
    body: str = BODY,
) -> dict[str, Outcome]:
    """Send the test message to each named channel, then record NOTIFY_TEST (the channels by name and how each
    went, never a URL). Raises AuditUnavailable when the record cannot be written: the messages went out all
    the same."""
    outcomes = {
        name: await send(notify.channels[name], title=TITLE, body=body, severity='info', timeout=notify.timeout)
        for name in names
    }
    detail = {'channels': {name: 'sent' if outcome.sent else 'failed' for name, outcome in outcomes.items()}}
    await audit.append(AuditKind.NOTIFY_TEST, actor=actor, origin=origin, detail=detail)
    return outcomes
