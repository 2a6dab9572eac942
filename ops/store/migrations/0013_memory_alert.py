"""Alerts gain the memory_near_limit rule: a new value of the same VARCHAR(32) enum column, so only the migration
state changes (see 0011)."""

from tortoise import fields, migrations

from ops.alerts.rules import Rule
from ops.store.same_column import SameColumn


class Migration(migrations.Migration):
    # After the merge: ('homelab', '0012_stats_history').
    dependencies = [('homelab', '0012_stats_history')]

    initial = False

    operations = [
        SameColumn(
            model_name='Alert',
            name='rule',
            field=fields.CharEnumField(
                description=(
                    'CONTAINER_EXITED: container_exited\nCONTAINER_UNHEALTHY: container_unhealthy\nCRASH_LOOP: crash_loop\nOOM_KILLED: oom_killed\nDRIFT_PENDING: drift_pending\nACTION_FAILED: action_failed\nRUN_FAILED: run_failed\nBACKUP_STALE: backup_stale\nDISK_FULL: disk_full\nDOCKER_DISK: docker_disk\nREBOOT_REQUIRED: reboot_required\nUPGRADES_FAILED: upgrades_failed\nPROBE_FAILING: probe_failing\nENGINE_UNREACHABLE: engine_unreachable\nAUDIT_CHAIN: audit_chain\nDELIVERY_FAILED: delivery_failed\nMEMORY_NEAR_LIMIT: memory_near_limit'
                ),
                enum_type=Rule,
                max_length=32,
            ),
        ),
    ]
