"""Benchmarks run against the database in DATABASE_URL itself (PostgreSQL only), not a test database.

The scale data set (seed_scale: 100,000 products, 1,000,000 stock rows over 50 warehouses,
5,000,000 movements) is seeded on the first run and reused while its row counts match, so
`make bench` pays the few minutes of seeding once. Tests marked django_db still run inside a
transaction that is rolled back, so what they add (users, grants, history rows) never stays.
"""

import pytest
from django.core.management import call_command
from django.db import connection

SCALE = {"products": 100_000, "stock_rows": 1_000_000, "warehouses": 50, "movements": 5_000_000}


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker):
    if connection.vendor != "postgresql":
        pytest.skip("benchmarks need PostgreSQL: set DATABASE_URL=postgres://…/stockroom_bench")
    from inventory.models import Product, StockLevel, StockMovement, Warehouse

    with django_db_blocker.unblock():
        call_command("migrate", verbosity=0)
        found = {
            "products": Product.objects.count(),
            "stock_rows": StockLevel.objects.count(),
            "warehouses": Warehouse.objects.count(),
            "movements": StockMovement.objects.count(),
        }
        if found != SCALE:
            print(f"\nseeding the scale data set (found {found})")
            call_command("seed_scale", **SCALE)
        with connection.cursor() as cursor:
            # Index-only scans need the visibility map that autovacuum would build in production.
            cursor.execute("VACUUM ANALYZE inventory_stockmovement")
            cursor.execute("VACUUM ANALYZE inventory_stocklevel")
        print(f"\nbench data: {SCALE}")
