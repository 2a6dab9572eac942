from tortoise import migrations
from tortoise.migrations import operations as ops
from ops.notify.outbox import MessageState, Severity
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('homelab', '0008_typed_states')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=32)),
                ('dedup_key', fields.CharField(max_length=255)),
                ('title', fields.CharField(max_length=255)),
                ('body', fields.TextField(unique=False)),
                ('severity', fields.CharEnumField(default=Severity.INFO, description='INFO: info\nWARNING: warning\nFAILURE: failure', enum_type=Severity, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('state', fields.CharEnumField(default=MessageState.PENDING, description='PENDING: pending\nSENT: sent\nFAILED: failed', enum_type=MessageState, max_length=16)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outbox_messages', 'app': 'homelab', 'unique_together': (('channel', 'dedup_key'),), 'indexes': [Index(fields=['state', 'next_attempt_at', 'id'])], 'pk_attr': 'id', 'table_description': 'One message for one channel. (channel, dedup_key) is unique: the same message is never queued twice.'},
            bases=['Model'],
        ),
    ]
