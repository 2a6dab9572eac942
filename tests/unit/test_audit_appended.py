"""The audit trail tells this process's listeners (the Audit page) of every event once it is committed, and of
nothing that was rolled back."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.auth.accounts import Administrator
from app.auth.users import UserError
from ops.store.audit import AuditLog
from ops.store.chain_head import HeadAnchor
from ops.store.db import close_store, open_store
from ops.store.models import AuditEvent

PASSWORD = 'a long enough password for bob'


async def test_sign_ins_and_account_changes_are_published_after_their_commit(tmp_path: Path) -> None:
    data = tmp_path / 'data'
    (data / 'state').mkdir(parents=True)
    await open_store(data / 'homelab.sqlite3')
    try:
        audit = AuditLog(HeadAnchor(data))
        published: list[AuditEvent] = []
        audit.appended.subscribe(published.append)
        await audit.append('login_succeeded', actor='ui:alice', origin='ui', detail={})
        admin = Administrator(actor='cli:root', audit=audit)
        await admin.create_user('bob', PASSWORD)
        with pytest.raises(UserError):
            await admin.create_user('bob', PASSWORD)  # refused: rolled back, nothing to publish
        assert [(event.kind, event.actor) for event in published] == [
            ('login_succeeded', 'ui:alice'),
            ('user_created', 'cli:root'),
        ]
        stored = await AuditEvent.all().order_by('id').values_list('id', 'hash')
        assert [(event.id, event.hash) for event in published] == stored
    finally:
        await close_store()
