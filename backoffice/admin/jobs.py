"""Background imports and exports: progress, result file, or the reason they failed."""

from django.contrib import admin
from django.utils.html import format_html

from backoffice.admin.base import StockroomModelAdmin
from inventory.models import DataJob


@admin.register(DataJob)
class DataJobAdmin(StockroomModelAdmin):
    list_display = ["title", "kind", "status", "progress", "download", "created_by", "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    search_fields = ["title"]
    list_select_related = ["created_by"]
    readonly_fields = [field.name for field in DataJob._meta.fields]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(created_by=request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="progress")
    def progress(self, obj):
        if obj.percent is None:
            return f"{obj.rows_done:,} rows"
        return f"{obj.percent}% ({obj.rows_done:,} of {obj.rows_total:,})"

    @admin.display(description="file")
    def download(self, obj):
        if obj.status != DataJob.Status.DONE or not obj.result:
            return obj.error[:80] if obj.error else "—"
        return format_html('<a href="{}">Download</a>', obj.result.url)
