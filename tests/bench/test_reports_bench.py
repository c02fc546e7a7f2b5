"""Dashboard and report speed on the scale data set (PostgreSQL only; prints every figure).

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/stockroom_bench make bench
(the scale data set is seeded and reused by tests/bench/conftest.py).
"""

import json
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

RUNS = 5
PAGE_BUDGET_S = 0.5
VALUATION_BUDGET_S = 1.0
PAGES = {
    "dashboard": "/admin/",
    "stock on hand": "/admin/reports/stock-on-hand/",
    "reorder suggestions": "/admin/reports/reorder-suggestions/",
    "valuation (today)": "/admin/reports/valuation/",
    "movement ledger": "/admin/reports/movements/",
}

pytestmark = pytest.mark.bench


@pytest.fixture(scope="session")
def bench_users(django_db_setup, django_db_blocker):
    from django.contrib.auth.models import Group, User
    from guardian.shortcuts import assign_perm

    from inventory.models import Warehouse
    from inventory.roles import REPORT_VIEWER

    with django_db_blocker.unblock():
        superuser, _ = User.objects.get_or_create(
            username="bench_admin", defaults={"is_superuser": True, "is_staff": True}
        )
        scoped, created = User.objects.get_or_create(username="bench_scoped", defaults={"is_staff": True})
        if created:
            scoped.groups.add(Group.objects.get(name=REPORT_VIEWER))
            for warehouse in Warehouse.objects.order_by("pk")[:5]:
                assign_perm("inventory.view_stock", scoped, warehouse)
    return {"superuser": superuser, "scoped to 5 warehouses": scoped}


def _median_ms(client: Client, url: str) -> tuple[float, list[float]]:
    timings = []
    client.get(url)  # warm the connection and templates
    for _ in range(RUNS):
        cache.clear()
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(timings), timings


def test_dashboard_and_first_pages_under_half_a_second(bench_users, django_db_blocker, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    failures = []
    with django_db_blocker.unblock():
        for who, user in bench_users.items():
            client = Client()
            client.force_login(user)
            for name, url in PAGES.items():
                median, timings = _median_ms(client, url)
                print(f"{name:>22} | {who:<22} | median {median:7.1f} ms | runs {[round(t) for t in timings]}")
                if median >= PAGE_BUDGET_S * 1000:
                    failures.append(f"{name} as {who}: {median:.0f} ms")
    assert not failures, failures


def test_valuation_as_of_a_past_date_under_a_second_and_equal_to_the_whole_ledger(bench_users, django_db_blocker):
    """Valuation 60 days ago from the daily closes, beside the same figures computed from the 5M-row ledger."""
    from inventory.reports import ValuationReport
    from inventory.services import closes
    from inventory.services.closes import end_of_day

    as_of = (timezone.localdate() - timedelta(days=60)).isoformat()
    with django_db_blocker.unblock():
        closes.close_days()  # what the worker keeps done: through yesterday
        for who, user in bench_users.items():
            ValuationReport(user, {"as_of": as_of}).groups()  # warm up, as the page benchmarks do
            timings = []
            for _ in range(RUNS):
                started = time.perf_counter()
                report = ValuationReport(user, {"as_of": as_of})
                groups = report.groups()
                timings.append(time.perf_counter() - started)
            started = time.perf_counter()
            whole = sorted(report._from_ledger(end_of_day(report.as_of)))
            ledger_seconds = time.perf_counter() - started
            grand_total = report.totals()[3]
            print(
                f"valuation as of {as_of} | {who:<22} | median {statistics.median(timings) * 1000:.0f} ms | "
                f"runs {[round(t * 1000) for t in timings]} ms | {len(groups)} groups | grand total {grand_total} | "
                f"whole ledger {ledger_seconds:.2f} s, same figures: {sorted(groups) == whole}"
            )
            assert sorted(groups) == whole
            assert statistics.median(timings) < VALUATION_BUDGET_S


EXPORT_SCRIPT = """
import json, resource, tempfile, time
from django.contrib.auth.models import User
from django.db import connection
from inventory.exports import EXPORTERS, write_table
from inventory.reports import StockOnHandReport

user = User.objects.get(username="bench_admin")
sql, params = StockOnHandReport(user, {}).records().query.sql_with_params()
query = connection.ops.compose_sql(sql, params)
with connection.cursor() as cursor:
    started, copied = time.perf_counter(), 0
    with cursor.cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
        for chunk in copy:
            copied += bytes(chunk).count(b"\\n")
    copy_seconds = time.perf_counter() - started
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
table = EXPORTERS["report.stock_on_hand"](user, {})
with tempfile.TemporaryFile() as target:
    write_table(table, "csv", target)
    export_seconds = time.perf_counter() - started
    size = target.tell()
    target.seek(0)
    lines = sum(block.count(b"\\n") for block in iter(lambda: target.read(1 << 20), b""))
print(json.dumps({"copy_rows": copied, "copy_seconds": copy_seconds, "export_rows": lines - 1,
                  "export_seconds": export_seconds, "bytes": size, "rss_before_mb": rss_before / 1024,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def test_full_stock_csv_export_keeps_up_with_copy_in_flat_memory(bench_users):
    """Runs in a fresh process so its peak RSS is the export's alone."""
    manage = Path(__file__).resolve().parents[2] / "manage.py"
    result = subprocess.run(
        [sys.executable, str(manage), "shell", "-c", EXPORT_SCRIPT], capture_output=True, text=True, check=True
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    copy_rate = figures["copy_rows"] / figures["copy_seconds"]
    export_rate = figures["export_rows"] / figures["export_seconds"]
    print(
        f"COPY: {figures['copy_rows']:,} rows in {figures['copy_seconds']:.2f} s ({copy_rate:,.0f} rows/s) | "
        f"export CSV: {figures['export_rows']:,} rows, {figures['bytes']:,} bytes in {figures['export_seconds']:.2f} s "
        f"({export_rate:,.0f} rows/s, {export_rate / copy_rate:.2f} of COPY) | "
        f"peak RSS {figures['peak_rss_mb']:.0f} MB (process before export {figures['rss_before_mb']:.0f} MB)"
    )
    assert figures["export_rows"] == figures["copy_rows"] == 1_000_000
    assert export_rate >= copy_rate / 2
    assert figures["peak_rss_mb"] < 200
