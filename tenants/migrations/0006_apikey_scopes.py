from django.db import migrations, models

import tenants.models


class Migration(migrations.Migration):
    """Adds ApiKey.scopes. Existing keys get an empty list here, and their scopes from the data
    migration 0007, which pins what keys could do before scopes: the model's default for new
    keys may change later, but must never change what an upgraded old key may do."""

    dependencies = [
        ("tenants", "0005_tenant_email_sender_and_postal_address"),
    ]

    operations = [
        migrations.AddField(
            model_name="apikey",
            name="scopes",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="scopes",
            field=models.JSONField(
                blank=True,
                default=tenants.models.default_api_key_scopes,
                help_text="What the key may do (tenants.models.ApiScope); the default is what "
                "keys could do before scopes: read and write requests.",
            ),
        ),
    ]
