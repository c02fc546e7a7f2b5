"""Import and export speed on PostgreSQL: the project's paths against django-import-export and COPY.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/stockroom_bench make bench

The project's import and export run in a child process so their time and peak
memory (ru_maxrss, whole interpreter included) are their own. They commit, so the
import test works on the shared scale data set's catalog and deletes what it added.
"""

import io
import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
import tablib
from django.db import connection
from import_export import fields, resources, widgets

from inventory.models import Category, Product, Supplier

pytestmark = [pytest.mark.bench]
BENCH_PREFIXES = ("B", "S", "C")

ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = 100_000
STOCK_SAMPLE = 20_000  # measured, not extrapolated
STOCK_ROWS = 1_000_000
HEADER = "sku,name,category,supplier,unit,cost_price,sale_price,reorder_point,reorder_quantity,active\n"

CHILD_IMPORT = """
import json, resource, sys, time
import django
django.setup()
from django.contrib.auth.models import User
from inventory.imports import apply_import
data = open(sys.argv[1], "rb").read()
user = User.objects.get(username=sys.argv[2])
started = time.perf_counter()
plan = apply_import("products", data, user=user, filename="bench.csv")
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "counts": plan.counts,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

CHILD_EXPORT = """
import json, resource, sys, time
import django
django.setup()
from django.contrib.auth.models import User
from inventory.exports import EXPORTERS, iter_csv
user = User.objects.get(username=sys.argv[1])
started = time.perf_counter()
table = EXPORTERS["changelist"](user, {"model": "inventory.stocklevel"})
with open(sys.argv[2], "w", encoding="utf-8") as target:
    for chunk in iter_csv(table):
        target.write(chunk)
elapsed = time.perf_counter() - started
with open(sys.argv[2], encoding="utf-8") as written:
    lines = sum(1 for _ in written)
print(json.dumps({"seconds": elapsed, "rows": table.total, "lines": lines,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


@pytest.fixture
def bench_db(django_db_setup, django_db_blocker):
    """The committed bench database, with a superuser "bench"; rows the import test adds are removed after."""
    from django.contrib.auth.models import User

    with django_db_blocker.unblock():
        User.objects.get_or_create(username="bench", defaults={"is_superuser": True, "is_staff": True})
        _remove_bench_products()
        try:
            yield
        finally:
            _remove_bench_products()


def _remove_bench_products() -> None:
    from django.contrib.contenttypes.models import ContentType

    product_ct = ContentType.objects.get_for_model(Product).pk
    with connection.cursor() as cursor:
        for prefix in BENCH_PREFIXES:
            pattern = f"{prefix}%"
            cursor.execute(
                "DELETE FROM inventory_auditentry WHERE content_type_id = %s AND object_id IN "
                "(SELECT id FROM inventory_product WHERE sku LIKE %s)",
                [product_ct, pattern],
            )
            cursor.execute("DELETE FROM inventory_historicalproduct WHERE sku LIKE %s", [pattern])
            cursor.execute("DELETE FROM inventory_product WHERE sku LIKE %s", [pattern])


def _child(script: str, *args: str) -> dict:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _catalog():
    """Category paths and supplier codes of the seeded scale data set."""
    paths = list(Category.objects.filter(parent__isnull=False).order_by("pk").values_list("path", flat=True)[:50])
    codes = list(Supplier.objects.order_by("pk").values_list("code", flat=True)[:20])
    return paths, codes


def _csv(prefix: str, count: int, paths, codes) -> bytes:
    out = io.StringIO()
    out.write(HEADER)
    for n in range(count):
        cost = Decimal(100 + n % 5000) / 100
        out.write(
            f"{prefix}{n:07d},Product {prefix}{n},{paths[n % len(paths)]},{codes[n % len(codes)]},ea,"
            f"{cost},{cost * 2},5,20,yes\n"
        )
    return out.getvalue().encode()


class StockProductResource(resources.ModelResource):
    """django-import-export's stock per-row import of the same layout (natural keys through widgets)."""

    category = fields.Field("category", "category", widgets.ForeignKeyWidget(Category, "path"))
    supplier = fields.Field("supplier", "default_supplier", widgets.ForeignKeyWidget(Supplier, "code"))
    active = fields.Field("active", "is_active", widgets.BooleanWidget())

    class Meta:
        model = Product
        import_id_fields = ["sku"]
        fields = [
            "sku",
            "name",
            "category",
            "supplier",
            "unit",
            "cost_price",
            "sale_price",
            "reorder_point",
            "reorder_quantity",
            "active",
        ]

    def before_import_row(self, row, **kwargs):
        row["active"] = "1" if row["active"] == "yes" else "0"


def _copy_products(prefix: str, count: int) -> float:
    category_ids = list(Category.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    supplier_ids = list(Supplier.objects.values_list("pk", flat=True))
    now = "2026-01-01 00:00:00+00"
    rows = []
    for n in range(count):
        cost = Decimal(100 + n % 5000) / 100
        rows.append(
            f"{prefix}{n:07d}\tProduct {prefix}{n}\t{category_ids[n % len(category_ids)]}\t"
            f"{supplier_ids[n % len(supplier_ids)]}\tea\t{cost}\t{cost * 2}\t5\t20\tt\t{now}\t{now}\n"
        )
    payload = "".join(rows).encode()
    columns = (
        "sku, name, category_id, default_supplier_id, unit, cost_price, sale_price, reorder_point, "
        "reorder_quantity, is_active, created_at, updated_at"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY inventory_product ({columns}) FROM STDIN") as copy:
            copy.write(payload)
    return time.perf_counter() - started


def test_import_100k_products_against_stock_import_and_copy(bench_db, tmp_path):
    paths, codes = _catalog()
    source = tmp_path / "products.csv"
    source.write_bytes(_csv("B", PRODUCTS, paths, codes))

    first = _child(CHILD_IMPORT, str(source), "bench")
    assert first["counts"]["new"] == PRODUCTS, first
    assert Product.history.filter(history_type="+", history_user__username="bench").count() == PRODUCTS
    history_before = Product.history.count()
    again = _child(CHILD_IMPORT, str(source), "bench")
    assert again["counts"]["unchanged"] == PRODUCTS, again
    assert Product.history.count() == history_before

    sample = _csv("S", STOCK_SAMPLE, paths, codes).decode()
    dataset = tablib.Dataset().load(sample, format="csv")
    started = time.perf_counter()
    result = StockProductResource().import_data(dataset, dry_run=False, use_transactions=True, raise_errors=True)
    stock_seconds = time.perf_counter() - started
    assert result.totals["new"] == STOCK_SAMPLE

    copy_seconds = _copy_products("C", PRODUCTS)

    project_rate = PRODUCTS / first["seconds"]
    stock_rate = STOCK_SAMPLE / stock_seconds
    copy_rate = PRODUCTS / copy_seconds
    print(
        f"\n[import] project: {PRODUCTS:,} new products in {first['seconds']:.2f}s = {project_rate:,.0f} rows/s "
        f"(validation + write + {PRODUCTS:,} history rows), peak RSS {first['max_rss_mb']:.0f} MB"
        f"\n[import] project re-import unchanged: {again['seconds']:.2f}s "
        f"({again['seconds'] / first['seconds']:.1%} of the first), peak RSS {again['max_rss_mb']:.0f} MB"
        f"\n[import] django-import-export per-row (single pass, no dry run): {STOCK_SAMPLE:,} rows in "
        f"{stock_seconds:.2f}s = {stock_rate:,.0f} rows/s"
        f"\n[import] PostgreSQL COPY: {PRODUCTS:,} rows in {copy_seconds:.2f}s = {copy_rate:,.0f} rows/s"
        f"\n[import] project / stock = {project_rate / stock_rate:.1f}x; "
        f"project / COPY = {project_rate / copy_rate:.3f}"
    )
    assert project_rate >= 10 * stock_rate
    assert project_rate >= copy_rate / 10
    assert first["max_rss_mb"] < 400
    assert again["seconds"] < first["seconds"] / 4


def test_export_1m_stock_rows_against_copy_to(bench_db, tmp_path):

    exported = _child(CHILD_EXPORT, "bench", str(tmp_path / "stock.csv"))
    assert exported["rows"] == STOCK_ROWS and exported["lines"] == STOCK_ROWS + 1, exported

    statement = (
        "COPY (SELECT p.sku, p.name, w.code, s.on_hand, s.reserved, s.average_cost, s.bin "
        "FROM inventory_stocklevel s JOIN inventory_product p ON p.id = s.product_id "
        "JOIN inventory_warehouse w ON w.id = s.warehouse_id ORDER BY s.warehouse_id, s.product_id) "
        "TO STDOUT WITH (FORMAT csv, HEADER)"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor, open(tmp_path / "copy.csv", "wb") as target:
        with cursor.copy(statement) as copy:
            for block in copy:
                target.write(block)
    copy_seconds = time.perf_counter() - started

    export_rate = STOCK_ROWS / exported["seconds"]
    copy_rate = STOCK_ROWS / copy_seconds
    print(
        f"\n[export] project CSV export (scoped changelist queryset, formula-escaped): {STOCK_ROWS:,} rows in "
        f"{exported['seconds']:.2f}s = {export_rate:,.0f} rows/s, peak RSS {exported['max_rss_mb']:.0f} MB"
        f"\n[export] PostgreSQL COPY TO (written to a file too): {STOCK_ROWS:,} rows in {copy_seconds:.2f}s "
        f"= {copy_rate:,.0f} rows/s"
        f"\n[export] project / COPY TO = {export_rate / copy_rate:.2f}"
    )
    assert export_rate >= copy_rate / 2
    assert exported["max_rss_mb"] < 200
