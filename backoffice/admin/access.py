"""The access log: every grant, revoke and change of group membership, read-only."""

from django.contrib import admin

from backoffice.admin.bases import ReadOnlyLogAdmin
from inventory.models import AccessEvent


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyLogAdmin):
    list_display = ["created_at", "actor", "action", "user", "group", "permission", "warehouse"]
    list_filter = ["action", "warehouse", "group"]
    search_fields = ["actor__username", "user__username", "group__name", "warehouse__code", "permission"]
    list_select_related = ["actor", "user", "group", "warehouse"]
    date_hierarchy = "created_at"
    access_managers_see_all = True
