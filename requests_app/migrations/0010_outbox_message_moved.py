from django.db import migrations


class Migration(migrations.Migration):
    """OutboxMessage now belongs to the outbox app (outbox 0001): only the state changes here;
    the table and its rows stay, and outbox 0002 renames the table."""

    dependencies = [
        ("requests_app", "0009_outbox_message_unlink"),
        ("outbox", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OutboxMessage")],
            database_operations=[],
        ),
    ]
