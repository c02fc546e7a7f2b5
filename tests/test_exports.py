"""Exports: formulas neutralised, streamed files, large exports as background jobs with a download."""

import csv
import io
import json

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from openpyxl import load_workbook

from backoffice.exports import export_response
from inventory.exports import Table, escape_formula, exporter, iter_csv, iter_json, write_xlsx
from inventory.models import DataJob


def xlsx_bytes(table: Table) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(table, buffer)
    return buffer.getvalue()


DANGEROUS = ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@exporter("test_rows")
def _rows(user, params):
    count = int(params.get("count", 3))
    return Table(
        ["sku", "note"],
        ((f"S{n}", "=HYPERLINK(1)" if n == 0 else "ok") for n in range(count)),
        count,
        title="test-rows",
    )


@pytest.mark.parametrize("value", DANGEROUS)
def test_cells_that_a_spreadsheet_would_run_are_escaped(value):
    assert escape_formula(value) == "'" + value


def test_numbers_and_plain_text_are_left_alone():
    assert escape_formula(-5) == -5
    assert escape_formula("Hammer") == "Hammer"


def test_csv_json_and_xlsx_escape_formulas_in_every_cell():
    table = lambda: Table(["name"], [(value,) for value in DANGEROUS])  # noqa: E731
    rows = list(csv.reader(io.StringIO("".join(iter_csv(table(), bom=False)))))
    assert [r[0] for r in rows[1:]] == ["'" + v for v in DANGEROUS]
    assert [r["name"] for r in json.loads("".join(iter_json(table())))] == ["'" + v for v in DANGEROUS]
    sheet = load_workbook(io.BytesIO(xlsx_bytes(table()))).active
    # XLSX stores a carriage return as a newline; what matters is the leading apostrophe.
    cells = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert [c.replace("\n", "\r") for c in cells] == ["'" + v.replace("\n", "\r") for v in DANGEROUS]


@pytest.mark.django_db
def test_small_export_streams_directly(superuser):
    request = RequestFactory().get("/")
    request.user = superuser
    response = export_response(request, exporter="test_rows", params={"count": 3}, fmt="csv", subject="t")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.splitlines() == ["sku,note", "S0,'=HYPERLINK(1)", "S1,ok", "S2,ok"]


@pytest.mark.django_db(transaction=True)
def test_large_export_runs_as_a_job_with_progress_and_a_download(client, superuser, settings):
    settings.STOCKROOM_BACKGROUND_ROWS = 10
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = settings.VAR_DIR / "test-media"
    client.force_login(superuser)
    request = RequestFactory().get("/")
    request.user = superuser
    request.session = client.session
    request._messages = FallbackStorage(request)
    response = export_response(request, exporter="test_rows", params={"count": 25}, fmt="csv", subject="Big rows")
    assert response.status_code == 302
    assert "running in the background" in str(list(get_messages(request))[0])
    job = DataJob.objects.get()
    assert (job.status, job.rows_total, job.rows_done) == (DataJob.Status.DONE, 25, 25)
    download = client.get(f"/admin/inventory/datajob/{job.pk}/download/")
    assert download.status_code == 200
    lines = b"".join(download.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 26
    other = client.get(f"/admin/inventory/datajob/{job.pk + 1}/download/")
    assert other.status_code == 404


AGREEMENT_CELLS = [
    *DANGEROUS,
    "",
    "Hammer",
    "'=already",
    " =leading space",
    "==",
    "-",
    "@",
    "+",
    "\t",
    "\r",
    "\n=not first",
    "€=x",
    "ñ",
    "a=b",
    "1-2",
    "=" * 300,
]


@pytest.mark.django_db
def test_the_sql_escaping_agrees_with_the_python_escaping_cell_for_cell():
    from django.db import connection

    from inventory.exports import escape_formula_sql

    if connection.vendor != "postgresql":
        pytest.skip("COPY TO exports (and the SQL twin) are PostgreSQL only")
    with connection.cursor() as cursor:
        for value in AGREEMENT_CELLS:
            cursor.execute(f"SELECT {escape_formula_sql('cell')} FROM (SELECT %s::text AS cell) AS one", [value])
            assert cursor.fetchone()[0] == escape_formula(value), repr(value)
