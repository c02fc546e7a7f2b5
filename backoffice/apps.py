from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class StockroomAdminConfig(AdminConfig):
    """django.contrib.admin with our unfold site as the default site."""

    default_site = "backoffice.sites.StockroomAdminSite"


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = "Back office"

    def ready(self):
        from backoffice import security  # noqa: F401  (importing it connects the sign-in receivers)
