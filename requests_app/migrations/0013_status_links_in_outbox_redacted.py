import re

from django.db import migrations

from core import encryption

# Until now a status sign-in email kept its one-time link in the outbox's body, where any API
# key and any staff member could read and use it (issue 11). Redact it as outbox.sealing does
# for new messages; one still to send keeps its body encrypted, so it still leaves with a
# working link. A sent one needs nothing more: the consumer has it.
LINK = re.compile(r"\S+[?&]t=[A-Za-z0-9_-]+")
REDACTION = "[sign-in link: sent, not shown]"  # outbox.sealing.Secret("sign-in link").redaction
TO_SEND = ("pending", "retrying")


def forwards(apps, schema_editor):
    OutboxMessage = apps.get_model("outbox", "OutboxMessage")
    # Cross-tenant on purpose: every business's stored links go.
    messages = OutboxMessage._default_manager.filter(
        dedupe_key__startswith="status-link:", body_encrypted=""
    ).exclude(body__contains=REDACTION)
    for message in messages.iterator():
        redacted = LINK.sub(REDACTION, message.body)
        if redacted == message.body:
            continue
        if message.status in TO_SEND:
            message.body_encrypted = encryption.encrypt(message.body.encode()).decode()
        message.body = redacted
        message.save(update_fields=["body", "body_encrypted"])


def backwards(apps, schema_editor):
    # Messages still to send get their body back; a sent one's link is gone for good (and it
    # was one-time and expires within the hour anyway).
    OutboxMessage = apps.get_model("outbox", "OutboxMessage")
    messages = OutboxMessage._default_manager.filter(
        dedupe_key__startswith="status-link:"
    ).exclude(body_encrypted="")
    for message in messages.iterator():
        message.body = encryption.decrypt(message.body_encrypted.encode()).decode()
        message.body_encrypted = ""
        message.save(update_fields=["body", "body_encrypted"])


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0012_document_openings_as_their_own_event"),
        ("outbox", "0006_outbox_message_body_encrypted"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
