from django.db import migrations


class Migration(migrations.Migration):
    """A communication's delivery is found by its outbox message's dedupe key ("comm:<id>"), a
    request's messages by their about_key (filled in 0008): the foreign keys go."""

    dependencies = [
        ("requests_app", "0008_outbox_message_about_fill"),
    ]

    operations = [
        migrations.RemoveField(model_name="outboxmessage", name="communication"),
        migrations.RemoveField(model_name="outboxmessage", name="privacy_request"),
    ]
