from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class StockroomAdminConfig(AdminConfig):
    """django.contrib.admin with our unfold site as the default site."""

    default_site = "backoffice.sites.StockroomAdminSite"


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = "Back office"
