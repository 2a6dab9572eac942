from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('homelab', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('actor', fields.CharField(db_index=True, max_length=128)),
                ('origin', fields.CharField(max_length=32)),
                ('kind', fields.CharField(db_index=True, max_length=32)),
                ('operation', fields.CharField(null=True, db_index=True, max_length=64)),
                ('run_id', fields.IntField(null=True, db_index=True)),
                ('detail', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('prev_hash', fields.CharField(max_length=64)),
                ('hash', fields.CharField(max_length=64)),
            ],
            options={'table': 'audit_events', 'app': 'homelab', 'pk_attr': 'id', 'table_description': 'An append-only, hash-chained record of who asked for what and how it ended.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Run',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('operation', fields.CharField(db_index=True, max_length=64)),
                ('params', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('actor', fields.CharField(db_index=True, max_length=128)),
                ('origin', fields.CharField(max_length=32)),
                ('state', fields.CharField(db_index=True, max_length=16)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('error', fields.TextField(null=True, unique=False)),
                ('result', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('output', fields.TextField(default='', unique=False)),
                ('dropped_lines', fields.IntField(default=0)),
                ('joined_run_id', fields.IntField(null=True)),
                ('owner', fields.CharField(default='', max_length=64)),
            ],
            options={'table': 'runs', 'app': 'homelab', 'pk_attr': 'id', 'table_description': 'One request to run an operation, from acceptance or refusal to its end.'},
            bases=['Model'],
        ),
    ]
