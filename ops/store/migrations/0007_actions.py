from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('homelab', '0006_second_factor')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Action',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('stack', fields.CharField(db_index=True, max_length=64)),
                ('service', fields.CharField(null=True, max_length=128)),
                ('container', fields.CharField(null=True, max_length=128)),
                ('kind', fields.CharField(max_length=16)),
                ('drift_key', fields.CharField(db_index=True, max_length=255)),
                ('title', fields.CharField(max_length=255)),
                ('detail', fields.TextField(default='', unique=False)),
                ('operation', fields.CharField(max_length=64)),
                ('params', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('plan', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('state', fields.CharField(db_index=True, max_length=16)),
                ('auto', fields.BooleanField(default=False)),
                ('decided_by', fields.CharField(null=True, max_length=128)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('run_id', fields.IntField(null=True)),
                ('error', fields.TextField(null=True, unique=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'actions', 'app': 'homelab', 'indexes': [Index(fields=['state', 'id'])], 'pk_attr': 'id', 'table_description': 'A proposed change that brings one drift back in line, and what became of it (see ops.world.actions).'},
            bases=['Model'],
        ),
    ]
