from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('homelab', '0002_runs_and_audit')]

    initial = False

    operations = [
        ops.CreateModel(
            name='HostSample',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('cpu_percent', fields.FloatField()),
                ('memory_percent', fields.FloatField()),
                ('load1', fields.FloatField()),
                ('load5', fields.FloatField()),
                ('load15', fields.FloatField()),
            ],
            options={'table': 'host_samples', 'app': 'homelab', 'pk_attr': 'id', 'table_description': "One psutil reading of the host: CPU, memory and load, kept for 48 hours for the Host page's trends."},
            bases=['Model'],
        ),
    ]
