"""Background imports and exports: progress, result file, or the reason they failed."""

from django.contrib import admin
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html

from backoffice.admin.base import StockroomModelAdmin
from inventory.models import DataJob


@admin.register(DataJob)
class DataJobAdmin(StockroomModelAdmin):
    list_display = ["title", "kind", "status", "progress", "download", "created_by", "created_at", "finished_at"]
    fields = [
        "title",
        "kind",
        "status",
        "progress",
        "download",
        "error",
        "summary",
        "created_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["title"]
    list_select_related = ["created_by"]
    readonly_fields = [*(field.name for field in DataJob._meta.fields), "progress", "download"]

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
        return format_html('<a href="{}">Download</a>', reverse("admin:inventory_datajob_download", args=[obj.pk]))

    def get_urls(self):
        return [
            path(
                "<int:pk>/download/", self.admin_site.admin_view(self.download_view), name="inventory_datajob_download"
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, pk: int):
        """Serve a finished job's file to the user who may see the job (media is not public)."""
        job = self.get_queryset(request).filter(pk=pk, status=DataJob.Status.DONE).first()
        if job is None or not job.result or not self.has_view_permission(request, job):
            raise Http404("No finished export with that id.")
        return FileResponse(job.result.open("rb"), as_attachment=True, filename=job.result.name.rsplit("/", 1)[-1])
