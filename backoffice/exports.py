"""Turn an exporter's table into a download: streamed when small, a background job when large."""

import tempfile

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from inventory.exports import EXPORTERS, FORMATS, iter_csv, iter_json, write_xlsx
from inventory.tasks import start_export


def export_response(request, *, exporter: str, params: dict, fmt: str, subject: str):
    """Stream the export of `subject` ("stock levels"), or queue it as a job (and say so) when it is large."""
    if fmt not in FORMATS:
        fmt = "csv"
    table = EXPORTERS[exporter](request.user, params)
    if table.total is not None and table.total > settings.STOCKROOM_BACKGROUND_ROWS:
        job = start_export(
            user=request.user, exporter=exporter, params=params, fmt=fmt, subject=subject, rows=table.total
        )
        messages.info(
            request,
            f"{table.total:,} rows is a large export: it is running in the background as “{job.title}”. "
            "Download it from Background jobs when it is done.",
        )
        return HttpResponseRedirect(reverse("admin:inventory_datajob_change", args=[job.pk]))
    filename = f"{table.title}-{timezone.now():%Y%m%d-%H%M%S}.{fmt}"
    if fmt == "xlsx":
        target = tempfile.TemporaryFile()
        write_xlsx(table, target)
        target.seek(0)
        return FileResponse(target, as_attachment=True, filename=filename, content_type=FORMATS["xlsx"])
    chunks = iter_csv(table) if fmt == "csv" else iter_json(table)
    response = StreamingHttpResponse((chunk.encode("utf-8") for chunk in chunks), content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
