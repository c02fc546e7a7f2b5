"""The Stockroom admin site (unfold)."""

from django.contrib import admin
from unfold.sites import UnfoldAdminSite


class StockroomAdminSite(UnfoldAdminSite):
    site_header = "Stockroom"
    site_title = "Stockroom"
    index_title = "Dashboard"
    index_template = "backoffice/dashboard.html"

    def get_urls(self):
        from backoffice.reports.views import report_urls

        return [*report_urls(self), *super().get_urls()]


site = admin.site
