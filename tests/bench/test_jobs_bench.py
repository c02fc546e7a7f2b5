"""Background jobs list with 300,000 jobs (a busy year): plain, search, filters, sort and deep pages under 300 ms.

Jobs are written server-side (INSERT … SELECT generate_series) inside the test's transaction, which is
rolled back. Measured for a superuser (everyone's jobs) and a clerk (their own fifth), median of 5, with
query counts and the plan of the slowest statement of any screen over budget.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/stockroom_bench make bench
"""

import time

import pytest
from django.db import connection
from django.test import Client

from inventory.roles import CLERK
from tests.bench.test_screens_bench import measure_screens
from tests.factories import SuperuserFactory, UserFactory

pytestmark = [pytest.mark.bench, pytest.mark.postgres, pytest.mark.django_db]

JOBS = 300_000
URL = "/admin/inventory/datajob/"


def _seed(users: list[int]) -> None:
    user_array = "ARRAY[" + ",".join(map(str, users)) + "]::bigint[]"
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO inventory_datajob
                (kind, status, title, spec, format, rows_total, rows_done, source, result, error, summary, task_id,
                 created_by_id, created_at, finished_at, started_at, heartbeat_at, attempts, cancel_requested)
            SELECT CASE WHEN i % 3 = 0 THEN 'import' ELSE 'export' END,
                   CASE WHEN i % 97 = 0 THEN 'failed' WHEN i % 211 = 0 THEN 'cancelled' ELSE 'done' END,
                   CASE WHEN i % 3 = 0 THEN 'Import of counts-' || i || '.csv'
                        ELSE 'Export of ' || (ARRAY['products', 'stock levels', 'movements'])[1 + i % 3]
                             || ', ' || (i % 900000) || ' rows' END,
                   '{{}}'::jsonb, 'csv', 1000, 1000, '', '', '', '{{}}'::jsonb, '',
                   ({user_array})[1 + i % {len(users)}], now() - (i * interval '105 seconds'),
                   now() - (i * interval '105 seconds') + interval '30 seconds', NULL, NULL, 1, false
            FROM generate_series(1, {JOBS}) AS i
        """)
        cursor.execute("ANALYZE inventory_datajob")


def screens() -> dict[str, str]:
    return {
        "plain": URL,
        "search a file name": f"{URL}?q=counts-123457.csv",
        "search a word": f"{URL}?q=movements",
        "search with no match": f"{URL}?q=zz-nothing-like-this",
        "filter kind import": f"{URL}?kind__exact=import",
        "filter status failed": f"{URL}?status__exact=failed",
        "page 50": f"{URL}?p=50",
        "sorted by created ascending": f"{URL}?o=SORT",
        "sorted by created descending": f"{URL}?o=-SORT",
    }


def _sorted(url: str, client: Client) -> str:
    """`o` counts the action checkbox as column 0 when the user has bulk actions."""
    if "SORT" not in url:
        return url
    from django.contrib import admin

    from inventory.models import DataJob

    position = admin.site._registry[DataJob].list_display.index("created_at")
    position += b"action-checkbox-column" in client.get(URL).content
    return url.replace("SORT", str(position))


def test_background_jobs_list_answers_under_300_ms_with_300_000_jobs():
    admin_user = SuperuserFactory()
    clerk = UserFactory(roles=[CLERK])
    users = [admin_user.pk, clerk.pk, *(UserFactory().pk for _ in range(3))]
    started = time.perf_counter()
    _seed(users)
    print(f"\nseeded {JOBS:,} background jobs in {time.perf_counter() - started:.1f} s")
    people = {"superuser": admin_user, "clerk (own jobs)": clerk}
    over = measure_screens(people, {f"jobs: {label}": url for label, url in screens().items()}, _sorted, width=38)
    assert not over, over
