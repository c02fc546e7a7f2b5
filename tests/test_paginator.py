"""List screens count cheaply: exact up to a bound, estimated beyond it on PostgreSQL, never a full COUNT(*)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.admin.paging import BoundedCountPaginator
from inventory.models import Warehouse
from tests.factories import WarehouseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setattr(BoundedCountPaginator, "exact_limit", 3)


def test_count_is_exact_below_the_bound(small_limit):
    for code in ("A1", "A2"):
        WarehouseFactory(code=code)

    assert BoundedCountPaginator(Warehouse.objects.filter(code__startswith="A"), 50).count == 2


@pytest.mark.postgres
def test_filtered_count_past_the_bound_is_estimated_without_counting_every_row(small_limit):
    for n in range(6):
        WarehouseFactory(code=f"B{n}")

    with CaptureQueriesContext(connection) as queries:
        count = BoundedCountPaginator(Warehouse.objects.filter(code__startswith="B"), 2).count

    assert count >= 4
    counts = [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()]
    assert counts and all("LIMIT 4" in sql for sql in counts)


@pytest.mark.postgres
def test_unfiltered_count_of_a_big_table_reads_the_planner_estimate(small_limit):
    for n in range(6):
        WarehouseFactory(code=f"C{n}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE inventory_warehouse")

    with CaptureQueriesContext(connection) as queries:
        count = BoundedCountPaginator(Warehouse.objects.all(), 2).count

    assert count >= 4
    assert not [query for query in queries if "COUNT(" in query["sql"].upper()]
