from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('homelab', '0005_history_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RecoveryCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(db_index=True, max_length=64)),
                ('code_hash', fields.CharField(unique=True, max_length=64)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'recovery_codes', 'app': 'homelab', 'pk_attr': 'id', 'table_description': 'A one-time code for when the authenticator is lost (stored as a hash, shown once at enrolment).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SecondFactor',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(unique=True, max_length=64)),
                ('secret', fields.CharField(max_length=64)),
                ('last_step', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'second_factors', 'app': 'homelab', 'pk_attr': 'id', 'table_description': "A user's TOTP enrolment (RFC 6238) and the last time step used, so a code works only once."},
            bases=['Model'],
        ),
    ]
