"""Outbox messages can be held (quiet hours) and critical: new values of the same VARCHAR(16) enum columns, so only
the migration state changes (see 0008)."""

from tortoise import fields, migrations

from ops.notify.outbox import MessageState, Severity
from ops.store.same_column import SameColumn


class Migration(migrations.Migration):
    dependencies = [('homelab', '0010_alerts')]

    initial = False

    operations = [
        SameColumn(
            model_name='OutboxMessage',
            name='severity',
            field=fields.CharEnumField(
                default=Severity.INFO,
                description='INFO: info\nWARNING: warning\nFAILURE: failure\nCRITICAL: critical',
                enum_type=Severity,
                max_length=16,
            ),
        ),
        SameColumn(
            model_name='OutboxMessage',
            name='state',
            field=fields.CharEnumField(
                default=MessageState.PENDING,
                description='PENDING: pending\nHELD: held\nSENT: sent\nFAILED: failed',
                enum_type=MessageState,
                max_length=16,
            ),
        ),
    ]
