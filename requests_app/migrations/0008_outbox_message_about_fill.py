from django.db import migrations
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat


def fill_about(apps, schema_editor):
    OutboxMessage = apps.get_model("requests_app", "OutboxMessage")
    PrivacyRequest = apps.get_model("requests_app", "PrivacyRequest")
    reference = PrivacyRequest._default_manager.filter(pk=OuterRef("privacy_request_id")).values(
        "reference"
    )[:1]
    OutboxMessage._default_manager.filter(privacy_request__isnull=False).update(
        about_key=Concat(
            Value("privacy_request:"), Cast("privacy_request_id", output_field=CharField())
        ),
        about_label=Subquery(reference),
    )


def unfill_about(apps, schema_editor):
    OutboxMessage = apps.get_model("requests_app", "OutboxMessage")
    OutboxMessage._default_manager.update(about_key="", about_label="")


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0007_outbox_message_about"),
    ]

    operations = [migrations.RunPython(fill_about, unfill_about)]
