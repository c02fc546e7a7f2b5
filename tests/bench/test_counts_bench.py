"""Stocktake sessions at 10,000 lines on PostgreSQL: posting in at most 5 s, beside today's count-sheet import.

The same 10,000 differences are posted twice in one run: once by posting a count (history
and audit rows included), once by importing them as a count sheet (the old path, one
set_count per row), each into its own warehouse holding the same stock. Opening the
session, the review's first page and a scan round trip (the form post and the scan page's
fetch) are timed too. It makes its own rows and needs no scale data set.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/stockroom_bench make bench
"""

import statistics
import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from inventory.imports import apply_import
from inventory.models import (
    AuditEntry,
    CountEntry,
    MovementKind,
    Product,
    StockCountLine,
    StockLevel,
    StockMovement,
    Warehouse,
)
from inventory.services import counts
from inventory.services.submissions import new_submission_key
from tests.factories import CategoryFactory, SuperuserFactory, SupplierFactory, WarehouseFactory

pytestmark = [pytest.mark.bench, pytest.mark.postgres, pytest.mark.django_db]

LINES = 10_000
POST_BUDGET_SECONDS = 5.0
OPEN_BUDGET_SECONDS = 1.0
PAGE_BUDGET_SECONDS = 0.3
SCAN_BUDGET_SECONDS = 0.1
ON_HAND, COUNTED = Decimal("10"), Decimal("9")


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker):
    # This benchmark makes its own 10,000 products: it needs a migrated database, not the scale data set.
    if connection.vendor != "postgresql":
        pytest.skip("benchmarks need PostgreSQL: set DATABASE_URL=postgres://…")
    with django_db_blocker.unblock():
        call_command("migrate", verbosity=0)


def _stocked_warehouse(code: str, products: list[Product], user) -> Warehouse:
    """`products` each 10 on hand at 2.00 in a new warehouse, with the receipt that put them there."""
    warehouse = WarehouseFactory(code=code)
    StockLevel.objects.bulk_create(
        StockLevel(product=p, warehouse=warehouse, on_hand=ON_HAND, average_cost=Decimal(2)) for p in products
    )
    StockMovement.objects.bulk_create(
        (
            StockMovement(
                kind=MovementKind.RECEIPT,
                product=p,
                warehouse=warehouse,
                quantity=ON_HAND,
                unit_cost=Decimal(2),
                balance_after=ON_HAND,
                average_cost_after=Decimal(2),
                reference="bench",
                created_by=user,
                created_at=timezone.now(),
            )
            for p in products
        ),
        batch_size=2000,
    )
    return warehouse


def test_posting_a_10000_line_count_beside_the_count_sheet_import():
    user, approver = SuperuserFactory(username="bench-counter"), SuperuserFactory(username="bench-approver")
    category, supplier = CategoryFactory(name="Bench counts"), SupplierFactory(code="BENCH-CNT")
    products = Product.objects.bulk_create(
        (
            Product(sku=f"BCNT-{n:05d}", name=f"Counted {n}", category=category, default_supplier=supplier)
            for n in range(LINES)
        ),
        batch_size=2000,
    )
    session_warehouse = _stocked_warehouse("BENCH-CNT", products, user)
    import_warehouse = _stocked_warehouse("BENCH-CSV", products, user)

    started = time.perf_counter()
    count = counts.open_count(user=user, warehouse=session_warehouse)
    open_seconds = time.perf_counter() - started

    lines = list(StockCountLine.objects.filter(count=count))
    CountEntry.objects.bulk_create(
        (CountEntry(line=line, quantity=COUNTED, on_hand_at_entry=ON_HAND, counted_by=user) for line in lines),
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        # The planner's statistics for the freshly filled tables, as autovacuum keeps them in production.
        for table in ("inventory_stockcountline", "inventory_countentry", "inventory_stocklevel"):
            cursor.execute(f"ANALYZE {table}")
    client = Client()
    client.force_login(user)
    scans, fetched = [], []
    for n in range(20):
        started = time.perf_counter()
        response = client.post(
            f"/admin/inventory/stockcount/{count.pk}/scan/",
            {"code": products[n].sku, "submission_key": new_submission_key()},
        )
        scans.append(time.perf_counter() - started)
        assert response.status_code == 302
        # The scan page's script sends the same scan with fetch() and reads JSON back.
        started = time.perf_counter()
        response = client.post(
            f"/admin/inventory/stockcount/{count.pk}/scan/",
            {"code": products[n].sku, "submission_key": new_submission_key()},
            headers={"Accept": "application/json"},
        )
        fetched.append(time.perf_counter() - started)
        assert response.status_code == 200 and response.json()["ok"]
    # The 40 scans added two each to the first 20 lines; take them back so every line counts 9.
    CountEntry.objects.filter(line__count=count, quantity=1).delete()
    counts.start_review(user=user, count=count)
    reviews = {}
    for show in counts.REVIEW_FILTERS:
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            review = client.get(f"/admin/inventory/stockcount/{count.pk}/review/", {"show": show})
            timings.append(time.perf_counter() - started)
            assert review.status_code == 200
        reviews[show or "all"] = statistics.median(timings)
    review_seconds = max(reviews.values())
    started = time.perf_counter()
    variances = client.get(f"/admin/inventory/stockcount/{count.pk}/review/", {"download": "csv"})
    variance_lines = b"".join(variances.streaming_content).count(b"\n") - 1
    export_seconds = time.perf_counter() - started
    started = time.perf_counter()
    sheet_pdf = client.get(f"/admin/inventory/stockcount/{count.pk}/print/sheet/", {"part": "1"})
    sheet_seconds = time.perf_counter() - started
    assert sheet_pdf["Content-Type"] == "application/pdf"

    audit_before = AuditEntry.objects.count()
    started = time.perf_counter()
    movements = counts.post_count(user=approver, count=count, submission_key=new_submission_key())
    post_seconds = time.perf_counter() - started

    sheet = "sku,warehouse,counted\n" + "".join(f"{p.sku},BENCH-CSV,{COUNTED}\n" for p in products)
    started = time.perf_counter()
    apply_import("stock_counts", sheet.encode(), user=user, filename="bench-count.csv")
    import_seconds = time.perf_counter() - started

    scan_median, fetch_median = statistics.median(scans), statistics.median(fetched)
    print(
        f"\n{LINES}-line count: open {open_seconds:.2f} s, review first page (median of 5) "
        + ", ".join(f"{show} {seconds * 1000:.0f} ms" for show, seconds in reviews.items())
        + ", "
        f"scan round trip median of 20 {scan_median * 1000:.0f} ms (form post), "
        f"{fetch_median * 1000:.0f} ms (fetch), variance CSV of {variance_lines} lines {export_seconds:.2f} s, "
        f"count sheet part 1 (250 lines) {sheet_seconds:.2f} s, post {post_seconds:.2f} s; "
        f"the same {LINES} rows as a count-sheet import: {import_seconds:.2f} s"
    )
    assert len(movements) == LINES
    for warehouse in (session_warehouse, import_warehouse):
        assert set(StockLevel.objects.filter(warehouse=warehouse).values_list("on_hand", flat=True)) == {COUNTED}
    # One history row and one audit entry per adjusted level, plus the session's own.
    assert AuditEntry.objects.filter(reason=f"adjustment {count.number}").count() == LINES
    assert AuditEntry.objects.count() - audit_before >= LINES
    assert post_seconds < POST_BUDGET_SECONDS
    assert open_seconds < OPEN_BUDGET_SECONDS
    assert review_seconds < PAGE_BUDGET_SECONDS
    assert scan_median < SCAN_BUDGET_SECONDS
    assert fetch_median < SCAN_BUDGET_SECONDS
