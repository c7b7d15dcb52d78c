from django.db import migrations, models


class Migration(migrations.Migration):
    """The relay's index follows the renamed statuses (0004); a request's page finds the
    messages about it through outbox_about."""

    dependencies = [
        ("outbox", "0004_outbox_status_names"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="outboxmessage", name="outbox_relay_due"),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(condition=models.Q(("status__in", ("pending", "retrying"))), fields=["next_attempt_at"], name="outbox_relay_due"),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(condition=models.Q(("endpoint__isnull", False)), fields=["endpoint"], name="outbox_endpoint"),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(condition=models.Q(("about_key", ""), _negated=True), fields=["tenant", "about_key"], name="outbox_about"),
        ),
    ]
