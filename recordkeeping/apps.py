from django.apps import AppConfig


class RecordkeepingConfig(AppConfig):
    name = "recordkeeping"
    verbose_name = "Records and metrics"

    def ready(self) -> None:
        # The audit trail page has no model: it installs itself on the admin site.
        from . import audit_admin  # noqa: F401
