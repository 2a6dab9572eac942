from tortoise import migrations
from tortoise.migrations import operations as ops
from ops.alerts.records import AlertState
from ops.alerts.rules import AlertSeverity, Rule
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('homelab', '0009_outbox')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Alert',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('rule', fields.CharEnumField(description='CONTAINER_EXITED: container_exited\nCONTAINER_UNHEALTHY: container_unhealthy\nCRASH_LOOP: crash_loop\nOOM_KILLED: oom_killed\nDRIFT_PENDING: drift_pending\nACTION_FAILED: action_failed\nRUN_FAILED: run_failed\nBACKUP_STALE: backup_stale\nDISK_FULL: disk_full\nDOCKER_DISK: docker_disk\nREBOOT_REQUIRED: reboot_required\nUPGRADES_FAILED: upgrades_failed\nPROBE_FAILING: probe_failing\nENGINE_UNREACHABLE: engine_unreachable\nAUDIT_CHAIN: audit_chain\nDELIVERY_FAILED: delivery_failed', enum_type=Rule, max_length=32)),
                ('target', fields.CharField(max_length=255)),
                ('open_key', fields.CharField(null=True, unique=True, max_length=300)),
                ('severity', fields.CharEnumField(description='INFO: info\nWARNING: warning\nCRITICAL: critical', enum_type=AlertSeverity, max_length=16)),
                ('state', fields.CharEnumField(default=AlertState.OPEN, description='OPEN: open\nRESOLVED: resolved', enum_type=AlertState, max_length=16)),
                ('summary', fields.CharField(max_length=500)),
                ('evidence', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('group', fields.CharField(default='', max_length=128)),
                ('opened_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolution', fields.CharField(default='', max_length=500)),
                ('updates', fields.IntField(default=0)),
                ('acknowledged_by', fields.CharField(null=True, max_length=128)),
                ('acknowledged_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('snoozed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('snoozed_by', fields.CharField(null=True, max_length=128)),
                ('told_opened', fields.BooleanField(default=False)),
                ('told_resolved', fields.BooleanField(default=False)),
            ],
            options={'table': 'alerts', 'app': 'homelab', 'indexes': [Index(fields=['state', 'id']), Index(fields=['rule', 'id']), Index(fields=['target', 'id'])], 'pk_attr': 'id', 'table_description': 'One alert from its opening to its resolution. `open_key` (rule and target) is set while open and unique, so'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AlertMessage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('alert_id', fields.IntField(db_index=True)),
                ('message_id', fields.IntField(db_index=True)),
                ('kind', fields.CharField(max_length=16)),
            ],
            options={'table': 'alert_messages', 'app': 'homelab', 'pk_attr': 'id', 'table_description': 'An outbox message that told of an alert (a grouped message tells of several).'},
            bases=['Model'],
        ),
    ]
