from django.apps import AppConfig


class RecordkeepingConfig(AppConfig):
    name = "recordkeeping"
    verbose_name = "Records and metrics"
