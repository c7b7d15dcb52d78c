from django.db import migrations

# Until 0011 a staff member opening a consumer's document was a "note" whose data held
# {"document_viewed": <document id>}; it is now its own kind, "document_opened", whose data
# holds {"document_id": <document id>} like "document_added".


def forwards(apps, schema_editor):
    RequestEvent = apps.get_model("requests_app", "RequestEvent")
    events = RequestEvent._default_manager.filter(kind="note", data__has_key="document_viewed")
    for event in events.iterator():
        event.kind = "document_opened"
        event.data = {"document_id": event.data["document_viewed"]}
        event.save(update_fields=["kind", "data"])


def backwards(apps, schema_editor):
    RequestEvent = apps.get_model("requests_app", "RequestEvent")
    for event in RequestEvent._default_manager.filter(kind="document_opened").iterator():
        event.kind = "note"
        event.data = {"document_viewed": event.data["document_id"]}
        event.save(update_fields=["kind", "data"])


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0011_record_fraud_documentation_know_limit_date_drop_due_state"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
