"""Run and action states are stored as their enums (CharEnumField): the same VARCHAR(16) column, so only the
migration state changes. Tortoise's SQLite schema editor would remake both tables for this AlterField and lose their
(state, id), (operation, id) and (actor, id) indexes; the column is already what the enum field stores, so the
database is left as it is."""

from tortoise import fields, migrations

from ops.runs import RunState
from ops.store.same_column import SameColumn
from ops.world.action_states import ActionState


class Migration(migrations.Migration):
    dependencies = [('homelab', '0007_actions')]

    initial = False

    operations = [
        SameColumn(
            model_name='Action',
            name='state',
            field=fields.CharEnumField(
                db_index=True,
                description='PENDING: pending\nAPPROVED: approved\nRUNNING: running\nDONE: done\nFAILED: failed\n'
                'REJECTED: rejected\nSUPERSEDED: superseded',
                enum_type=ActionState,
                max_length=16,
            ),
        ),
        SameColumn(
            model_name='Run',
            name='state',
            field=fields.CharEnumField(
                db_index=True,
                description='PENDING: pending\nRUNNING: running\nSUCCEEDED: succeeded\nFAILED: failed\n'
                'TIMED_OUT: timed_out\nCANCELLED: cancelled\nREJECTED: rejected\nINTERRUPTED: interrupted',
                enum_type=RunState,
                max_length=16,
            ),
        ),
    ]
