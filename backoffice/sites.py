"""The Stockroom admin site (unfold) and the custom admin views it serves."""

from functools import partial

from django.contrib import admin
from django.urls import path
from unfold.sites import UnfoldAdminSite


class StockroomAdminSite(UnfoldAdminSite):
    site_header = "Stockroom"
    site_title = "Stockroom"
    index_title = "Dashboard"
    index_template = "backoffice/dashboard.html"

    def get_urls(self):
        # Imported here: this class is loaded before the app registry is ready.
        from backoffice import access_console
        from backoffice.reports.views import report_urls
        from backoffice.views import two_factor
        from backoffice.views.audit import audit_log_export, audit_log_view

        return [
            path(
                "access/", self.admin_view(partial(access_console.console_view, admin_site=self)), name="access_console"
            ),
            path(
                "access/users/<int:user_id>/",
                self.admin_view(partial(access_console.view_as_view, admin_site=self)),
                name="access_view_as",
            ),
            path("audit/", self.admin_view(audit_log_view), {"admin_site": self}, name="audit_log"),
            path("audit/export/", self.admin_view(audit_log_export), {"admin_site": self}, name="audit_log_export"),
            path(
                "two-factor/",
                self.admin_view(partial(two_factor.enrol_view, admin_site=self)),
                name="two_factor_enrol",
            ),
            path(
                "two-factor/verify/",
                self.admin_view(partial(two_factor.verify_view, admin_site=self)),
                name="two_factor_verify",
            ),
            *report_urls(self),
            *super().get_urls(),
        ]


site = admin.site
