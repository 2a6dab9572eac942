from tortoise import migrations
from tortoise.migrations import operations as ops
from ops.stats.records import HealthMark, Uptime
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('homelab', '0011_quiet_hours')]

    initial = False

    operations = [
        ops.CreateModel(
            name='HealthEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=255)),
                ('container_id', fields.CharField(max_length=12)),
                ('kind', fields.CharEnumField(description='RESTART: restart\nOOM: oom', enum_type=HealthMark, max_length=16)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('exit_code', fields.IntField(null=True)),
            ],
            options={'table': 'health_events', 'app': 'homelab', 'indexes': [Index(fields=['name', 'kind', 'at']), Index(fields=['at'])], 'pk_attr': 'id', 'table_description': 'A restart or an OOM kill of a container name at one moment (the exit code of the die before a restart).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HealthInterval',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=255)),
                ('container_id', fields.CharField(max_length=12)),
                ('state', fields.CharEnumField(description='RUNNING: running\nSTARTING: starting\nHEALTHY: healthy\nUNHEALTHY: unhealthy\nPAUSED: paused\nEXITED: exited', enum_type=Uptime, max_length=16)),
                ('start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('end', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('exit_code', fields.IntField(null=True)),
            ],
            options={'table': 'health_intervals', 'app': 'homelab', 'indexes': [Index(fields=['name', 'start']), Index(fields=['end'])], 'pk_attr': 'id', 'table_description': 'One container name in one state from `start` to `end` (NULL while it lasts), with the exit code of an exit.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatRollup',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=255)),
                ('container_id', fields.CharField(max_length=12)),
                ('stack', fields.CharField(null=True, max_length=128)),
                ('resolution', fields.SmallIntField()),
                ('bucket_start', fields.IntField()),
                ('samples', fields.SmallIntField()),
                ('cpu_avg', fields.FloatField()),
                ('cpu_max', fields.FloatField()),
                ('memory_avg', fields.BigIntField()),
                ('memory_max', fields.BigIntField()),
                ('memory_limit', fields.BigIntField(null=True)),
                ('rate_seconds', fields.IntField()),
                ('net_rx_rate', fields.FloatField()),
                ('net_tx_rate', fields.FloatField()),
                ('block_read_rate', fields.FloatField()),
                ('block_write_rate', fields.FloatField()),
                ('pids_max', fields.IntField()),
            ],
            options={'table': 'stat_rollups', 'app': 'homelab', 'indexes': [Index(fields=['name', 'resolution', 'bucket_start']), Index(fields=['resolution', 'bucket_start'])], 'pk_attr': 'id', 'table_description': 'One container name over one bucket (60 or 900 seconds from `bucket_start`, unix seconds). Averages are'},
            bases=['Model'],
        ),
    ]
