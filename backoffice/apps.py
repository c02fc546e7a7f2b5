from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class StockroomAdminConfig(AdminConfig):
    """django.contrib.admin with our unfold site as the default site."""

    default_site = "backoffice.sites.StockroomAdminSite"


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = "Back office"

    def ready(self):
        from axes.signals import user_locked_out

        from backoffice import security  # importing it connects the sign-in receivers

        user_locked_out.connect(security.record_lockout, dispatch_uid="stockroom_locked_out")
