"""Audit log speed: the first page stays under 300 ms (median of 5) with 1,000,000 history rows.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/stockroom_bench make bench
"""

import statistics
import time
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from inventory.models import Product, StockLevel
from inventory.roles import MANAGER
from tests.factories import SuperuserFactory, UserFactory, WarehouseFactory, grant

pytestmark = [pytest.mark.bench, pytest.mark.postgres, pytest.mark.django_db]

PRODUCT_ROWS = 400_000
STOCK_ROWS = 600_000
WAREHOUSES = 10
BUDGET_MS = 300


def _seed(users: list[int], warehouses: list[int]) -> None:
    """Write history and audit entries server-side (INSERT … SELECT generate_series), then ANALYZE."""
    product_ct = ContentType.objects.get_for_model(Product).pk
    level_ct = ContentType.objects.get_for_model(StockLevel).pk
    user_array = "ARRAY[" + ",".join(map(str, users)) + "]::bigint[]"
    warehouse_array = "ARRAY[" + ",".join(map(str, warehouses)) + "]::bigint[]"
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO inventory_historicalproduct
                (id, sku, name, category_id, default_supplier_id, unit, barcode, cost_price, sale_price,
                 reorder_point, reorder_quantity, is_active, created_at,
                 history_date, history_change_reason, history_type, history_user_id)
            SELECT 1 + i % 50000, 'SKU-' || (1 + i % 50000), 'Product ' || i, 1, NULL, 'ea', NULL, 10, 15, 5, 20,
                   true, now() - interval '400 days', now() - (i * interval '31 seconds'), '',
                   CASE WHEN i < 50000 THEN '+' ELSE '~' END, ({user_array})[1 + i % {len(users)}]
            FROM generate_series(1, {PRODUCT_ROWS}) AS i
        """)
        cursor.execute(f"""
            INSERT INTO inventory_historicalstocklevel
                (id, product_id, warehouse_id, on_hand, reserved, average_cost, bin,
                 history_date, history_change_reason, history_type, history_user_id)
            SELECT 1 + i % 200000, 1 + i % 50000, ({warehouse_array})[1 + i % {len(warehouses)}], i % 100, 0, 1, '',
                   now() - (i * interval '29 seconds'), 'receipt PO-' || i, '~', ({user_array})[1 + i % {len(users)}]
            FROM generate_series(1, {STOCK_ROWS}) AS i
        """)
        cursor.execute(f"""
            INSERT INTO inventory_auditentry
                (timestamp, action, content_type_id, object_id, object_repr, history_id, warehouse_id, user_id,
                 reason, changes)
            SELECT history_date, CASE history_type WHEN '+' THEN 'created' ELSE 'changed' END, {product_ct}, id,
                   sku || ' — ' || name, history_id, NULL, history_user_id, history_change_reason,
                   '[{{"field": "Name", "old": "a", "new": "b"}}]'::jsonb
            FROM inventory_historicalproduct
        """)
        cursor.execute(f"""
            INSERT INTO inventory_auditentry
                (timestamp, action, content_type_id, object_id, object_repr, history_id, warehouse_id, user_id,
                 reason, changes)
            SELECT history_date, 'changed', {level_ct}, id, 'SKU-' || product_id || ' @ W', history_id, warehouse_id,
                   history_user_id, history_change_reason,
                   '[{{"field": "On hand", "old": "1.000", "new": "2.000"}}]'::jsonb
            FROM inventory_historicalstocklevel
        """)
        for table in ("inventory_historicalproduct", "inventory_historicalstocklevel", "inventory_auditentry"):
            cursor.execute(f"ANALYZE {table}")


def _median_ms(client, url: str, params: dict | None = None, runs: int = 5) -> tuple[float, list[float]]:
    client.get(url, params or {})  # warm caches (content types, templates)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url, params or {})
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return statistics.median(timings), timings


def test_audit_log_first_page_is_fast_with_a_million_history_rows(client):
    admin = SuperuserFactory()
    warehouses = [WarehouseFactory(code=f"B{n}") for n in range(WAREHOUSES)]
    manager = UserFactory(roles=[MANAGER])
    grant(manager, "manage_stock", warehouses[0])
    users = [admin.pk, manager.pk, *(UserFactory().pk for _ in range(3))]

    start = time.perf_counter()
    _seed(users, [w.pk for w in warehouses])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM inventory_auditentry")
        [entries] = cursor.fetchone()
    print(
        f"\nseeded {PRODUCT_ROWS + STOCK_ROWS:,} history rows and {entries:,} audit entries "
        f"in {time.perf_counter() - start:.1f} s"
    )

    client.force_login(admin)
    results = {
        "admin, no filter": _median_ms(client, "/admin/audit/"),
        "admin, filter by user": _median_ms(client, "/admin/audit/", {"user": manager.username}),
        "admin, one object": _median_ms(client, "/admin/audit/", {"model": "inventory.stocklevel", "object_id": 7}),
        "admin, changed stock levels": _median_ms(
            client, "/admin/audit/", {"model": "inventory.stocklevel", "action": "changed"}
        ),
    }
    today = timezone.localdate()
    last_week = {"date_from": (today - timedelta(days=7)).isoformat(), "date_to": today.isoformat()}
    month_ago = {
        "date_from": (today - timedelta(days=37)).isoformat(),
        "date_to": (today - timedelta(days=30)).isoformat(),
    }
    results["admin, past 7 days"] = _median_ms(client, "/admin/audit/", last_week)
    results["admin, one week a month ago"] = _median_ms(client, "/admin/audit/", month_ago)
    results["admin, one user a month ago"] = _median_ms(
        client, "/admin/audit/", {**month_ago, "user": manager.username}
    )
    page = client.get("/admin/audit/")
    results["admin, second page"] = _median_ms(client, f"/admin/audit/{page.context['older_url']}")
    client.force_login(manager)
    results["manager (1 of 10 warehouses), no filter"] = _median_ms(client, "/admin/audit/")
    results["manager, changed stock levels"] = _median_ms(
        client, "/admin/audit/", {"model": "inventory.stocklevel", "action": "changed"}
    )
    results["manager, one week a month ago"] = _median_ms(client, "/admin/audit/", month_ago)
    page = client.get("/admin/audit/")
    results["manager, second page"] = _median_ms(client, f"/admin/audit/{page.context['older_url']}")

    for name, (median, timings) in results.items():
        print(f"{name:45} median {median:6.1f} ms   runs {', '.join(f'{t:.0f}' for t in timings)}")
    over = {name: round(median) for name, (median, _) in results.items() if median >= BUDGET_MS}
    assert not over, over
