"""Two clerks issuing at once never drive stock negative (PostgreSQL row locks)."""

import time

import pytest
from django.core.management import call_command

from inventory import services
from inventory.models import StockLevel
from inventory.services import stock as stock_services
from tests.factories import ProductFactory, SuperuserFactory, WarehouseFactory
from tests.threads import run_at_once


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_issues_of_6_against_10_on_hand_one_wins(monkeypatch):
    user = SuperuserFactory()
    product = ProductFactory(sku="SKU-CONC")
    warehouse = WarehouseFactory(code="MAIN")
    services.receive(user=user, product=product, warehouse=warehouse, quantity=10, unit_cost=1)
    # Hold each transaction open for a moment after it has read stock, so both threads overlap:
    # without row locks both would read 10 and both issues would succeed.
    lock_levels = stock_services._locked_levels

    def slow_lock_levels(legs, **kwargs):
        levels = lock_levels(legs, **kwargs)
        time.sleep(0.3)
        return levels

    monkeypatch.setattr(stock_services, "_locked_levels", slow_lock_levels)
    outcomes: list[str] = []

    def worker():
        try:
            services.issue(user=user, product=product, warehouse=warehouse, quantity=6)
            outcomes.append("ok")
        except services.InsufficientStock as error:
            outcomes.append(str(error))

    run_at_once(worker)

    assert sorted(outcomes) == ["Cannot issue 6 × SKU-CONC from MAIN: only 4 on hand.", "ok"]
    assert StockLevel.objects.get(product=product, warehouse=warehouse).on_hand == 4
    call_command("verify_ledger")
