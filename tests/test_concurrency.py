"""Two clerks issuing at once never drive stock negative (PostgreSQL row locks)."""

import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection

from inventory import services
from inventory.models import StockLevel
from inventory.services import stock as stock_services
from tests.factories import ProductFactory, SuperuserFactory, WarehouseFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_issues_of_6_against_10_on_hand_one_wins(monkeypatch):
    user = SuperuserFactory()
    product = ProductFactory(sku="SKU-CONC")
    warehouse = WarehouseFactory(code="MAIN")
    services.receive(user=user, product=product, warehouse=warehouse, quantity=10, unit_cost=1)
    barrier = threading.Barrier(2)
    # Hold each transaction open for a moment after it has read stock, so both threads overlap:
    # without row locks both would read 10 and both issues would succeed.
    lock_levels = stock_services._lock_levels

    def slow_lock_levels(legs):
        levels = lock_levels(legs)
        time.sleep(0.3)
        return levels

    monkeypatch.setattr(stock_services, "_lock_levels", slow_lock_levels)
    outcomes: list[str] = []

    def worker():
        try:
            barrier.wait()
            services.issue(user=user, product=product, warehouse=warehouse, quantity=6)
            outcomes.append("ok")
        except services.InsufficientStock as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["Cannot issue 6 × SKU-CONC from MAIN: only 4 on hand.", "ok"]
    assert StockLevel.objects.get(product=product, warehouse=warehouse).on_hand == 4
    call_command("verify_ledger")
