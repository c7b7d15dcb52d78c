from django.db import migrations, models


class Migration(migrations.Migration):
    """The outbox is moving to its own app, which must not point at requests: a message names
    what it is about with a key and a label instead of foreign keys (filled in 0008)."""

    dependencies = [
        ("requests_app", "0006_prune_write_only_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="about_key",
            field=models.CharField(blank=True, default="", max_length=60),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="about_label",
            field=models.CharField(blank=True, default="", max_length=60),
            preserve_default=False,
        ),
    ]
