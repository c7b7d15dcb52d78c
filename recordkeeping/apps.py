from django.apps import AppConfig


class RecordkeepingConfig(AppConfig):
    name = "recordkeeping"
    verbose_name = "Record-keeping and metrics"
