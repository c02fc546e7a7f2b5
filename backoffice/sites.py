"""The Stockroom admin site (unfold)."""

from django.contrib import admin
from unfold.sites import UnfoldAdminSite


class StockroomAdminSite(UnfoldAdminSite):
    site_header = "Stockroom"
    site_title = "Stockroom"
    index_title = "Dashboard"


site = admin.site
