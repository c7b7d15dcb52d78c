from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Businesses and staff"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the portal's system checks)
