"""The scale seeder produces a consistent ledger (small sizes here; big ones in tests/bench)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inventory.models import Product, StockLevel, StockMovement, Warehouse

pytestmark = pytest.mark.django_db


def test_seed_scale_creates_the_requested_rows_and_the_ledger_verifies():
    call_command("seed_scale", products=40, stock_rows=150, movements=400, warehouses=5, categories=12, suppliers=4)
    assert (Warehouse.objects.count(), Product.objects.count()) == (5, 40)
    assert (StockLevel.objects.count(), StockMovement.objects.count()) == (150, 400)
    assert StockLevel.objects.values("warehouse").distinct().count() == 5
    call_command("verify_ledger")


def test_seed_scale_refuses_impossible_sizes():
    with pytest.raises(CommandError, match="cannot exceed"):
        call_command("seed_scale", products=2, stock_rows=50, movements=50, warehouses=3)
