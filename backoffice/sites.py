"""The Stockroom admin site (unfold)."""

from functools import partial

from django.contrib import admin
from django.urls import path
from unfold.sites import UnfoldAdminSite


class StockroomAdminSite(UnfoldAdminSite):
    site_header = "Stockroom"
    site_title = "Stockroom"
    index_title = "Dashboard"

    def get_urls(self):
        from backoffice import access_console

        return [
            path(
                "access/", self.admin_view(partial(access_console.console_view, admin_site=self)), name="access_console"
            ),
            path(
                "access/users/<int:user_id>/",
                self.admin_view(partial(access_console.view_as_view, admin_site=self)),
                name="access_view_as",
            ),
            *super().get_urls(),
        ]


site = admin.site
