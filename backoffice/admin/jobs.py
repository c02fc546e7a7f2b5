"""Background imports and exports: live progress, result file, the reason they failed; cancel and retry."""

from django.conf import settings
from django.contrib import admin, messages
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from unfold.decorators import action

from backoffice.admin.bases import StockroomModelAdmin
from inventory.models import DataJob
from inventory.services import DomainError
from inventory.services import jobs as job_services

# What an import's summary counts, in the order and words a person reads them (inventory.imports.plan.counts).
SUMMARY_LABELS = {
    "total": "Rows in the file",
    "new": "New",
    "updated": "Updated",
    "unchanged": "Unchanged",
    "errors": "Problems found",
    "error_rows": "Rows with problems",
}


def progress_text(job: DataJob) -> str:
    if job.status == DataJob.Status.QUEUED:
        return "Waiting for a worker"
    if job.status in (DataJob.Status.FAILED, DataJob.Status.CANCELLED):
        return f"Stopped at {job.rows_done:,} rows" if job.rows_done else "Stopped before any row"
    if job.percent is None or job.rows_total is None:
        return f"{job.rows_done:,} rows"
    return f"{job.percent}% ({job.rows_done:,} of {job.rows_total:,})"


# An import refused for its problems keeps up to 200 of them; the job page lists this many.
PROBLEMS_SHOWN = 50


def _readable(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


@admin.register(DataJob)
class DataJobAdmin(StockroomModelAdmin):
    list_display = ["title", "kind", "status_label", "progress", "download", "created_by", "created_at", "finished_at"]
    fields = [
        "title",
        "kind",
        "status_label",
        "progress",
        "download",
        "error",
        "summary_table",
        "attempts",
        "created_by_name",
        "created_at",
        "started_at",
        "finished_at",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["title"]  # a trigram index serves it (migration 0015)
    sortable_by = ["created_at"]  # the one indexed column; kind and status are filters
    list_select_related = ["created_by"]
    readonly_fields = [
        *(field.name for field in DataJob._meta.fields),
        "created_by_name",
        "status_label",
        "progress",
        "download",
        "summary_table",
    ]
    actions_detail = ["cancel_job", "retry_job"]

    empty_list_title = "No background jobs yet"

    class Media:
        js = ["backoffice/job_progress.js"]

    def empty_list_text(self) -> str:
        """Said on the list before there is any job: what puts one here."""
        return (
            f"An export of more than {settings.STOCKROOM_BACKGROUND_ROWS:,} rows, or a large import once you confirm "
            "it, runs in the background and appears here with its progress, its file and what it did."
        )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser or request.user.has_perm("inventory.manage_datajob"):
            return queryset
        return queryset.filter(created_by=request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_cancel_permission(self, request, object_id=None):
        job = self.visible_object(request, object_id)
        return job is not None and not job.is_finished and job_services.can_manage(request.user, job)

    def has_retry_permission(self, request, object_id=None):
        job = self.visible_object(request, object_id)
        finished_badly = job is not None and job.status in (DataJob.Status.FAILED, DataJob.Status.CANCELLED)
        return finished_badly and job_services.can_manage(request.user, job)

    @admin.display(description="status")
    def status_label(self, obj):
        return format_html('<span data-job-status-label="{}">{}</span>', obj.pk, obj.get_status_display())

    @admin.display(description="progress")
    def progress(self, obj):
        if obj.is_finished:
            return progress_text(obj)
        url = reverse("admin:inventory_datajob_status", args=[obj.pk])
        return format_html('<span data-job-status="{}">{}</span>', url, progress_text(obj))

    @admin.display(description="summary")
    def summary_table(self, obj):
        summary = dict(obj.summary or {})
        problems = summary.pop("problems", [])
        if not summary and not problems:
            return "—"
        counts = [(label, f"{summary.pop(key):,}") for key, label in SUMMARY_LABELS.items() if key in summary]
        counts += [(capfirst(key.replace("_", " ")), _readable(value)) for key, value in summary.items()]
        shown = problems[:PROBLEMS_SHOWN]
        context = {
            "counts": counts,
            "problems": shown,
            "more_problems": len(problems) if len(problems) > len(shown) else 0,
        }
        return render_to_string("backoffice/jobs/summary.html", context)

    @admin.display(description="file")
    def download(self, obj):
        if obj.status != DataJob.Status.DONE or not obj.result:
            return obj.error[:80] if obj.error else "—"
        return format_html('<a href="{}">Download</a>', reverse("admin:inventory_datajob_download", args=[obj.pk]))

    @action(description="Cancel job", url_path="cancel", permissions=["cancel"], icon="cancel")
    def cancel_job(self, request, object_id):
        return self._confirm(
            request,
            object_id,
            verb="Cancel job",
            service=job_services.cancel,
            question="Stop this job? Nothing it has done so far is kept.",
        )

    @action(description="Retry job", url_path="retry", permissions=["retry"], icon="replay")
    def retry_job(self, request, object_id):
        return self._confirm(
            request,
            object_id,
            verb="Retry job",
            service=job_services.retry,
            question="Run this job again from the start?",
        )

    def _confirm(self, request, object_id, *, verb: str, service, question: str):
        """A GET shows what will happen; only the POST acts (unfold's detail actions are links)."""
        job = get_object_or_404(self.get_queryset(request), pk=object_id)
        change_url = reverse("admin:inventory_datajob_change", args=[job.pk])
        if request.method == "POST":
            try:
                said = service(job, user=request.user)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, said, messages.SUCCESS)
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{verb}: {job.title}",
            "opts": self.opts,
            "job": job,
            "verb": verb,
            "question": question,
            "change_url": change_url,
        }
        return TemplateResponse(request, "backoffice/job_confirm.html", context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/download/", view(self.download_view), name="inventory_datajob_download"),
            path("<int:pk>/status.json", view(self.status_view), name="inventory_datajob_status"),
            *super().get_urls(),
        ]

    def status_view(self, request, pk: int):
        """What the job page polls: a few numbers, only for who may see the job."""
        job = self.get_queryset(request).filter(pk=pk).first()
        if job is None or not self.has_view_permission(request, job):
            raise Http404("No job with that id.")
        return JsonResponse(
            {
                "id": job.pk,
                "status": job.status,
                "status_label": job.get_status_display(),
                "finished": job.is_finished,
                "percent": job.percent,
                "rows_done": job.rows_done,
                "rows_total": job.rows_total,
                "progress": progress_text(job),
                "message": job.error,
            }
        )

    def download_view(self, request, pk: int):
        """Serve a finished job's file to the user who may see the job (media is not public)."""
        job = self.get_queryset(request).filter(pk=pk, status=DataJob.Status.DONE).first()
        if job is None or not job.result or not self.has_view_permission(request, job):
            raise Http404("No finished export with that id.")
        return FileResponse(job.result.open("rb"), as_attachment=True, filename=job.result.name.rsplit("/", 1)[-1])
