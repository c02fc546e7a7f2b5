"""A movement is named by its kind, quantity, SKU and warehouse; a reversed one points at its reversal."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory import services
from inventory.models import StockMovement
from inventory.models.catalog import UnitOfMeasure
from tests.factories import ProductFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def main(db):
    return WarehouseFactory(code="MAIN")


@pytest.fixture
def north(db):
    return WarehouseFactory(code="NORTH")


@pytest.fixture
def widget(db):
    return ProductFactory(sku="SKU-0001")


def _heading(page: str) -> str:
    crumbs = re.findall(
        r'class="align-middle inline-block leading-5 min-w-0 truncate tracking-tight">\s*(.*?)\s*</', page
    )
    return crumbs[-1]


def test_each_kind_of_movement_is_titled_with_quantity_sku_and_warehouse(superuser, widget, main, north):
    receipt = services.receive(user=superuser, product=widget, warehouse=main, quantity=10, unit_cost=1)
    issue = services.issue(user=superuser, product=widget, warehouse=main, quantity=2)
    out, into = services.transfer(user=superuser, product=widget, source=main, destination=north, quantity=5)
    adjustment = services.adjust(user=superuser, product=widget, warehouse=main, quantity=-3, reason="damaged")
    found = services.adjust(user=superuser, product=widget, warehouse=main, quantity=1, reason="found")

    assert str(receipt) == "Receipt 10 × SKU-0001 into MAIN"
    assert str(issue) == "Issue 2 × SKU-0001 from MAIN"
    assert str(out) == "Transfer out 5 × SKU-0001 from MAIN"
    assert str(into) == "Transfer in 5 × SKU-0001 into NORTH"
    assert str(adjustment) == "Adjustment −3 × SKU-0001 at MAIN"
    assert str(found) == "Adjustment +1 × SKU-0001 at MAIN"


def test_a_measured_product_keeps_its_fraction_without_trailing_zeros(superuser, main):
    flour = ProductFactory(sku="FLOUR", unit=UnitOfMeasure.KG)

    receipt = services.receive(user=superuser, product=flour, warehouse=main, quantity=Decimal("2.500"), unit_cost=1)

    assert str(receipt) == "Receipt 2.5 × FLOUR into MAIN"


def test_the_movement_page_is_headed_by_its_title(admin_client, superuser, widget, main):
    receipt = services.receive(user=superuser, product=widget, warehouse=main, quantity=5, unit_cost=1)

    page = admin_client.get(reverse("admin:inventory_stockmovement_change", args=[receipt.pk])).content.decode()

    assert _heading(page) == "Receipt 5 × SKU-0001 into MAIN"
    assert "5.000 × " not in page


def test_a_movement_not_yet_reversed_offers_post_reversing_movement(client, manager, widget, warehouse_a):
    receipt = services.receive(user=manager, product=widget, warehouse=warehouse_a, quantity=5, unit_cost=1)
    client.force_login(manager)

    page = client.get(reverse("admin:inventory_stockmovement_change", args=[receipt.pk])).content.decode()

    assert "Post reversing movement" in page
    assert reverse("admin:inventory_stockmovement_post_reversal", args=[receipt.pk]) in page


def test_a_reversed_movement_links_to_its_reversal_and_offers_no_second_one(client, manager, widget, warehouse_a):
    receipt = services.receive(user=manager, product=widget, warehouse=warehouse_a, quantity=5, unit_cost=1)
    [reversal] = services.reverse_movement(user=manager, movement=receipt, reason="typed twice")
    client.force_login(manager)

    page = client.get(reverse("admin:inventory_stockmovement_change", args=[receipt.pk])).content.decode()

    reversal_url = reverse("admin:inventory_stockmovement_change", args=[reversal.pk])
    assert f'<a href="{reversal_url}">Adjustment −5 × SKU-0001 at A (#{reversal.pk}, REV-{receipt.pk})</a>' in page
    assert "Post reversing movement" not in page
    assert reverse("admin:inventory_stockmovement_post_reversal", args=[receipt.pk]) not in page


def test_a_reversal_offers_no_reversal_of_its_own(client, manager, widget, warehouse_a):
    receipt = services.receive(user=manager, product=widget, warehouse=warehouse_a, quantity=5, unit_cost=1)
    [reversal] = services.reverse_movement(user=manager, movement=receipt, reason="typed twice")
    client.force_login(manager)

    page = client.get(reverse("admin:inventory_stockmovement_change", args=[reversal.pk])).content.decode()

    assert "Post reversing movement" not in page
    assert "Receipt 5 × SKU-0001 into A" in page  # what it reverses


def _ledger_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("admin:inventory_stockmovement_changelist"))
    assert response.status_code == 200
    return len(captured)


def test_the_ledger_list_costs_the_same_with_5_or_40_movements(admin_client, superuser, main):
    def post(count: int) -> None:
        for _ in range(count):
            services.receive(user=superuser, product=ProductFactory(), warehouse=main, quantity=1, unit_cost=1)

    post(5)
    admin_client.get(reverse("admin:inventory_stockmovement_changelist"))  # the session's first-request checks
    few = _ledger_queries(admin_client)
    post(35)
    many = _ledger_queries(admin_client)

    assert StockMovement.objects.count() == 40
    assert many == few, f"{few} queries with 5 movements, {many} with 40"
