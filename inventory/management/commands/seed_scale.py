"""Seed a large, ledger-consistent data set for benchmarks (PostgreSQL COPY; bulk inserts elsewhere)."""

import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from inventory.models import (
    Category,
    Product,
    StockLevel,
    StockMovement,
    Supplier,
    ValuationClose,
    ValuationCloseState,
    Warehouse,
)
from inventory.services import closes

SEEDED_TABLES = [ValuationClose, ValuationCloseState, StockMovement, StockLevel, Product, Category, Supplier, Warehouse]


class Command(BaseCommand):
    help = (
        "Replace inventory data with a large synthetic data set whose ledger verifies "
        "(stock levels equal the sum of their movements). Destroys existing inventory rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=100_000)
        parser.add_argument("--stock-rows", type=int, default=1_000_000)
        parser.add_argument("--movements", type=int, default=2_000_000, help="At least one per stock row.")
        parser.add_argument("--warehouses", type=int, default=50)
        parser.add_argument("--categories", type=int, default=200)
        parser.add_argument("--suppliers", type=int, default=100)
        parser.add_argument("--days", type=int, default=365, help="Movements spread over this many past days.")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **opts):
        products, rows, movements, warehouses = (
            opts["products"],
            opts["stock_rows"],
            opts["movements"],
            opts["warehouses"],
        )
        if rows > products * warehouses:
            raise CommandError(f"--stock-rows cannot exceed products × warehouses ({products * warehouses}).")
        if movements < rows:
            raise CommandError("--movements must be at least --stock-rows (every stock row has its receipt).")
        self.rng = random.Random(opts["seed"])
        self.is_postgres = connection.vendor == "postgresql"
        started = time.monotonic()
        with transaction.atomic():
            self._wipe()
            self._timed(
                "warehouses",
                lambda: self._write(
                    Warehouse, ["code", "name", "address", "is_active", "is_transit"], self._warehouse_rows(warehouses)
                ),
            )
            self._timed("categories", lambda: self._categories(opts["categories"]))
            self._timed(
                "suppliers",
                lambda: self._write(
                    Supplier,
                    ["code", "name", "contact_name", "email", "phone", "lead_time_days", "is_active"],
                    self._supplier_rows(opts["suppliers"]),
                ),
            )
            # Foreign keys are read before COPY starts: no other query may run on the connection during it.
            category_ids = list(Category.objects.values_list("pk", flat=True))
            supplier_ids = list(Supplier.objects.values_list("pk", flat=True))
            self._timed(
                "products",
                lambda: self._write(Product, PRODUCT_COLUMNS, self._product_rows(products, category_ids, supplier_ids)),
            )
            ids = self._ids()
            self._timed("stock levels + movements", lambda: self._stock(ids, rows, movements, opts["days"]))
        if self.is_postgres:
            self._timed("analyze", lambda: self._execute("ANALYZE"))
        self._timed("valuation closes", closes.close_days)
        total = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {warehouses} warehouses, {products} products, {rows} stock rows, {movements} movements "
                f"in {total:.1f}s."
            )
        )

    def _timed(self, label, work):
        started = time.monotonic()
        work()
        self.stdout.write(f"  {label}: {time.monotonic() - started:.1f}s")

    def _execute(self, sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)

    def _wipe(self):
        if self.is_postgres:
            tables = ", ".join(model._meta.db_table for model in SEEDED_TABLES)
            self._execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            return
        for model in SEEDED_TABLES:
            if model is Category:
                Category.objects.filter(parent__isnull=False).order_by("-path").delete()
            model.objects.all().delete()

    def _write(self, model, columns, rows):
        """COPY rows into the model's table on PostgreSQL; bulk insert elsewhere."""
        table = model._meta.db_table
        if self.is_postgres:
            with connection.cursor() as cursor:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            return
        batch = []
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
        with connection.cursor() as cursor:
            for row in rows:
                batch.append(row)
                if len(batch) == 5000:
                    cursor.executemany(sql, batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)

    def _warehouse_rows(self, count):
        for n in range(1, count + 1):
            yield (f"W{n:03d}", f"Warehouse {n}", f"{n} Industrial Way", True, False)

    def _categories(self, count):
        roots = max(1, count // 10)
        for n in range(roots):
            Category.objects.bulk_create([Category(name=f"Group {n}", path=f"Group {n}")])
        parents = list(Category.objects.all())
        children = []
        for n in range(count - roots):
            parent = parents[n % len(parents)]
            children.append(Category(name=f"Line {n}", parent=parent, path=f"{parent.path}/Line {n}"))
        Category.objects.bulk_create(children, batch_size=1000)

    def _supplier_rows(self, count):
        for n in range(1, count + 1):
            yield (f"S{n:04d}", f"Supplier {n}", f"Contact {n}", f"s{n}@example.com", "", 3 + n % 12, True)

    def _product_rows(self, count, category_ids, supplier_ids):
        now = datetime.now(UTC)
        rng = self.rng
        for n in range(1, count + 1):
            cost = Decimal(rng.randint(100, 50000)) / 100
            yield (
                f"P{n:07d}",
                f"Product {n}",
                category_ids[n % len(category_ids)],
                supplier_ids[n % len(supplier_ids)],
                "ea",
                None,
                cost,
                cost * 2,
                Decimal(rng.choice([5, 10, 20, 40])),
                Decimal(rng.choice([20, 50, 100])),
                True,
                now,
                now,
            )

    def _ids(self):
        return {
            "products": list(Product.objects.order_by("pk").values_list("pk", "cost_price")),
            "warehouses": list(Warehouse.objects.order_by("pk").values_list("pk", flat=True)),
        }

    def _stock(self, ids, row_count, movement_count, days):
        products, warehouses = ids["products"], ids["warehouses"]
        per_row, extra = divmod(movement_count, row_count)
        start = datetime.now(UTC) - timedelta(days=days)
        span = timedelta(days=days).total_seconds() * 0.98
        levels, movements = [], []

        def flush():
            self._write(StockLevel, LEVEL_COLUMNS, levels)
            self._write(StockMovement, MOVEMENT_COLUMNS, movements)
            levels.clear()
            movements.clear()

        for k in range(row_count):
            p_index, round_ = k % len(products), k // len(products)
            product_id, cost = products[p_index]
            warehouse_id = warehouses[(round_ + p_index) % len(warehouses)]
            count = per_row + (1 if k < extra else 0)
            received = Decimal(50 + 2 * count)
            balance = received
            offset = (k * 7919) % 3600
            step = span / count
            movements.append(
                (
                    "receipt",
                    product_id,
                    warehouse_id,
                    received,
                    cost,
                    balance,
                    cost,
                    f"PO-{k}",
                    "",
                    start + timedelta(seconds=offset),
                )
            )
            for j in range(1, count):
                balance -= 1
                when = start + timedelta(seconds=offset + j * step)
                movements.append(
                    ("issue", product_id, warehouse_id, Decimal(-1), cost, balance, cost, f"SO-{k}-{j}", "", when)
                )
            levels.append((product_id, warehouse_id, balance, Decimal(0), cost, "", start + timedelta(days=days)))
            if len(movements) >= 50_000:
                flush()
        flush()


PRODUCT_COLUMNS = [
    "sku",
    "name",
    "category_id",
    "default_supplier_id",
    "unit",
    "barcode",
    "cost_price",
    "sale_price",
    "reorder_point",
    "reorder_quantity",
    "is_active",
    "created_at",
    "updated_at",
]
LEVEL_COLUMNS = ["product_id", "warehouse_id", "on_hand", "reserved", "average_cost", "bin", "updated_at"]
MOVEMENT_COLUMNS = [
    "kind",
    "product_id",
    "warehouse_id",
    "quantity",
    "unit_cost",
    "balance_after",
    "average_cost_after",
    "reference",
    "reason",
    "created_at",
]
