"""Scope does not make lists slow: stock level changelist, first page, 1,000,000 rows over 50 warehouses.

A user scoped to 5 warehouses vs a superuser (median of 5 requests each): the scoped page takes at most
1.5× the superuser page, and neither runs a COUNT(*) over the whole table.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/stockroom_bench make bench
"""

import re
import statistics
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import StockLevel, Warehouse
from inventory.roles import MANAGER
from tests.factories import SuperuserFactory, UserFactory, grant

pytestmark = [pytest.mark.bench, pytest.mark.postgres, pytest.mark.django_db]

STOCK_ROWS = 1_000_000
WAREHOUSES = 50
RUNS = 5
# A count over the stock table that is not bounded by a LIMIT inside it.
FULL_COUNT = re.compile(r'SELECT COUNT\(\*\) AS "__count"\s+FROM "inventory_stocklevel"', re.IGNORECASE)


def _page(client: Client) -> tuple[float, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(reverse("admin:inventory_stocklevel_changelist"))
        elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 50
    return elapsed, [query["sql"] for query in queries]


def _median_ms(client: Client) -> tuple[float, list[str]]:
    _page(client)  # warm caches and connection
    timings, sql = [], []
    for _ in range(RUNS):
        elapsed, sql = _page(client)
        timings.append(elapsed)
    return statistics.median(timings), sql


def test_scoped_stock_list_is_as_fast_as_the_superuser_list_and_never_counts_the_whole_table():
    assert (StockLevel.objects.count(), Warehouse.objects.count()) == (STOCK_ROWS, WAREHOUSES)
    warehouses = list(Warehouse.objects.order_by("pk"))
    scoped_user = UserFactory(username="bench_scope_list", roles=[MANAGER])
    # Spread over the list, so the first page is not simply the first warehouse's rows.
    grant(scoped_user, "view_stock", *warehouses[9::10])
    superuser = SuperuserFactory(username="bench_scope_super")

    results = {}
    for label, user in [("superuser", superuser), ("scoped (5 warehouses)", scoped_user)]:
        client = Client()
        client.force_login(user)
        results[label] = _median_ms(client)

    for label, (median, sql) in results.items():
        counts = [query for query in sql if "COUNT(" in query.upper() and "inventory_stocklevel" in query]
        print(f"{label}: median {median:.1f} ms over {RUNS} runs; {len(sql)} queries; counts: {counts}")
        assert not [query for query in sql if FULL_COUNT.search(query)], f"{label} counted the whole table"
    superuser_ms, scoped_ms = results["superuser"][0], results["scoped (5 warehouses)"][0]
    print(f"scoped / superuser = {scoped_ms / superuser_ms:.2f}")
    assert scoped_ms <= 1.5 * superuser_ms
