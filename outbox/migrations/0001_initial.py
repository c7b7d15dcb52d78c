import django.db.models.deletion
import django.db.models.manager
from django.db import migrations, models


class Migration(migrations.Migration):
    """The outbox leaves requests_app with its table and every row in it: this only tells
    Django that the model now belongs here (no SQL); 0002 renames the table."""

    initial = True

    dependencies = [
        ("requests_app", "0009_outbox_message_unlink"),
        ("tenants", "0004_tenant_updated_at"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutboxMessage",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("recipient", models.CharField(max_length=254)),
                        ("subject", models.CharField(max_length=200)),
                        ("body", models.TextField()),
                        ("about_key", models.CharField(blank=True, max_length=60)),
                        ("about_label", models.CharField(blank=True, max_length=60)),
                        ("dedupe_key", models.CharField(max_length=160)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Waiting to be sent"),
                                    ("sent", "Sent"),
                                    ("failed", "Failed (will retry)"),
                                    ("dead", "Gave up"),
                                ],
                                default="pending",
                                max_length=10,
                            ),
                        ),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("last_error", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField()),
                        ("next_attempt_at", models.DateTimeField()),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "tenant",
                            models.ForeignKey(
                                db_index=False,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="tenants.tenant",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "outbox email",
                        "abstract": False,
                        "default_manager_name": "all_tenants",
                        "db_table": "requests_app_outboxmessage",
                        "indexes": [
                            models.Index(fields=["tenant", "-created_at"], name="outbox_newest"),
                            models.Index(
                                condition=models.Q(("status__in", ["pending", "failed"])),
                                fields=["next_attempt_at"],
                                name="outbox_relay_due",
                            ),
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("dedupe_key",), name="outbox_unique_dedupe_key"
                            )
                        ],
                    },
                    managers=[
                        ("all_tenants", django.db.models.manager.Manager()),
                    ],
                ),
            ],
            database_operations=[],
        ),
    ]
