from django.db import migrations

# Before: failed = "will retry", dead = "gave up". Now: retrying = "will retry", failed = "gave up".
FORWARD = (("failed", "retrying"), ("dead", "failed"))


def rename(apps, pairs):
    OutboxMessage = apps.get_model("outbox", "OutboxMessage")
    for old, new in pairs:
        OutboxMessage._default_manager.filter(status=old).update(status=new)


def forwards(apps, schema_editor):
    rename(apps, FORWARD)


def backwards(apps, schema_editor):
    rename(apps, [(new, old) for old, new in reversed(FORWARD)])


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0003_webhooks_sender_and_statuses"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
