from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('homelab', '0004_sessions_and_tokens')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='AuditEvent',
            index=Index(fields=['kind', 'id']),
        ),
        ops.AddIndex(
            model_name='AuditEvent',
            index=Index(fields=['operation', 'id']),
        ),
        ops.AddIndex(
            model_name='AuditEvent',
            index=Index(fields=['actor', 'id']),
        ),
        ops.AddIndex(
            model_name='AuditEvent',
            index=Index(fields=['run_id', 'id']),
        ),
        ops.AddIndex(
            model_name='Run',
            index=Index(fields=['state', 'id']),
        ),
        ops.AddIndex(
            model_name='Run',
            index=Index(fields=['operation', 'id']),
        ),
        ops.AddIndex(
            model_name='Run',
            index=Index(fields=['actor', 'id']),
        ),
    ]
