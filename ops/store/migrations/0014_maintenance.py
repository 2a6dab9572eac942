from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('homelab', '0013_memory_alert')]

    initial = False

    operations = [
        ops.CreateModel(
            name='KnownGood',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('stack', fields.CharField(max_length=64)),
                ('service', fields.CharField(max_length=128)),
                ('container_name', fields.CharField(max_length=255)),
                ('image', fields.CharField(max_length=512)),
                ('digest', fields.CharField(max_length=512)),
                ('image_id', fields.CharField(max_length=128)),
                ('config_hash', fields.CharField(max_length=64)),
                ('settings', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('healthy', fields.BooleanField(default=True)),
                ('run_id', fields.IntField(null=True)),
            ],
            options={'table': 'known_good', 'app': 'homelab', 'indexes': [Index(fields=['stack', 'service', 'recorded_at'])], 'pk_attr': 'id', 'table_description': "What a recreate replaced: the service's image by digest, its config hash and settings, when it was replaced."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LastWords',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('container_id', fields.CharField(db_index=True, max_length=64)),
                ('name', fields.CharField(db_index=True, max_length=255)),
                ('stack', fields.CharField(null=True, max_length=64)),
                ('service', fields.CharField(null=True, max_length=128)),
                ('image', fields.CharField(null=True, max_length=512)),
                ('exit_code', fields.IntField(null=True)),
                ('ended_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('lines', fields.TextField(default='', unique=False)),
                ('line_count', fields.IntField(default=0)),
                ('dropped', fields.IntField(default=0)),
            ],
            options={'table': 'last_words', 'app': 'homelab', 'pk_attr': 'id', 'table_description': 'The last log lines of a container that died or was removed, kept for its page and its alert.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RollbackPin',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('stack', fields.CharField(max_length=64)),
                ('service', fields.CharField(max_length=128)),
                ('image', fields.CharField(max_length=512)),
                ('digest', fields.CharField(max_length=512)),
                ('known_good_id', fields.IntField(null=True)),
                ('reason', fields.TextField(default='', unique=False)),
                ('pinned_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('pinned_by', fields.CharField(max_length=128)),
                ('released_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('released_by', fields.CharField(null=True, max_length=128)),
            ],
            options={'table': 'rollback_pins', 'app': 'homelab', 'indexes': [Index(fields=['stack', 'service', 'released_at'])], 'pk_attr': 'id', 'table_description': 'A service held on an earlier image by an override file in $DATA until someone releases it.'},
            bases=['Model'],
        ),
    ]
