from django.db import migrations


class Migration(migrations.Migration):
    """The moved table takes the outbox app's name (a rename: every row stays)."""

    dependencies = [
        ("outbox", "0001_initial"),
        ("requests_app", "0010_outbox_message_moved"),
    ]

    operations = [
        migrations.AlterModelTable(name="outboxmessage", table=None),
    ]
