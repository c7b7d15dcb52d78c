from django.db import migrations

# What every key could do before scopes: read and write requests (the outbox list, the only
# other thing keys could read, needs requests:read). Written out, not imported: this is what
# keys made before the upgrade keep, whatever later versions give new keys.
PRE_SCOPE_SCOPES = ["requests:read", "requests:write"]


def give_existing_keys_their_scopes(apps, schema_editor):
    ApiKey = apps.get_model("tenants", "ApiKey")
    ApiKey._default_manager.filter(scopes=[]).update(scopes=PRE_SCOPE_SCOPES)


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0006_apikey_scopes"),
    ]

    # Backwards there is nothing to undo: reversing 0006 drops the column, and emptying the lists
    # before that would only lock every key out.
    operations = [
        migrations.RunPython(give_existing_keys_their_scopes, migrations.RunPython.noop),
    ]
