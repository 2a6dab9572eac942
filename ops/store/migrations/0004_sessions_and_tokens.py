from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('homelab', '0003_host_samples')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ApiToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(db_index=True, max_length=64)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_tokens', 'app': 'homelab', 'pk_attr': 'id', 'table_description': 'A bearer token for the JSON routes (`homelab token create`).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoginSession',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sid_hash', fields.CharField(unique=True, max_length=64)),
                ('username', fields.CharField(db_index=True, max_length=64)),
                ('client', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('end_reason', fields.CharField(default='', max_length=32)),
            ],
            options={'table': 'login_sessions', 'app': 'homelab', 'pk_attr': 'id', 'table_description': 'A signed-in browser: the cookie holds a random id, the table only its hash.'},
            bases=['Model'],
        ),
    ]
