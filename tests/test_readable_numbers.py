"""Report screens read like a person writes numbers; their exports keep the raw values."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from backoffice.templatetags.stockroom import readable
from inventory import services
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_money_carries_the_currency_and_two_places_and_quantities_drop_trailing_zeros(settings):
    settings.CURRENCY = "EUR"
    assert readable(Decimal("1234567.5"), "money") == "€1,234,567.50"
    assert readable(Decimal("2.1250"), "money") == "€2.125"  # a unit cost keeps its places
    assert readable(Decimal("-3"), "money") == "−€3.00"
    settings.CURRENCY = "NOK"
    assert readable(Decimal("10"), "money") == "NOK 10.00"
    assert readable(Decimal("1200.000"), "number") == "1,200"
    assert readable(Decimal("2.500"), "number") == "2.5"
    assert readable(1203, "") == "1,203" and readable(None) == "" and readable("Grand total") == "Grand total"


def test_the_stock_report_shows_separators_and_currency_and_its_csv_stays_raw(admin_client, superuser, warehouse_a):
    product = ProductFactory(sku="SKU-BIG")
    services.receive(user=superuser, product=product, warehouse=warehouse_a, quantity=1200, unit_cost="2.5")
    page = " ".join(strip_tags(admin_client.get(reverse("admin:report_stock_on_hand")).content.decode()).split())
    assert "1,200" in page and "$3,000.00" in page and "$2.50" in page
    export = admin_client.get(reverse("admin:report_stock_on_hand"), {"export": "csv"})
    body = b"".join(export.streaming_content).decode() if export.streaming else export.content.decode()
    assert "1200.000" in body and "3000.00" in body and "$" not in body


def test_stock_lists_show_whole_quantities_with_separators_and_money_with_the_currency(
    admin_client, superuser, warehouse_a
):
    product = ProductFactory(sku="SKU-LIST", cost_price=Decimal("1234.5"), unit="ea")
    services.receive(user=superuser, product=product, warehouse=warehouse_a, quantity=12500, unit_cost="2.5")

    def cells(url: str) -> str:
        return " ".join(strip_tags(admin_client.get(url, {"q": "SKU-LIST"}).content.decode()).split())

    levels = cells(reverse("admin:inventory_stocklevel_changelist"))
    ledger = cells(reverse("admin:inventory_stockmovement_changelist"))
    products = cells(reverse("admin:inventory_product_changelist"))

    assert "12,500" in levels and "$2.50" in levels and "12500.000" not in levels
    assert "12,500" in ledger and "$2.50" in ledger and "12500.000" not in ledger
    # On a phone the ledger shows one "Movement" cell saying all of it (stockroom.css hides the wide columns).
    assert "Receipt 12,500 × SKU-LIST into A" in ledger and "balance 12,500 · $2.50 each · by admin" in ledger
    assert "$1,234.50" in products


def test_sorting_a_figure_column_still_sorts_by_the_figure(admin_client, superuser, warehouse_a, warehouse_b):
    product = ProductFactory(sku="SKU-SORT")
    services.receive(user=superuser, product=product, warehouse=warehouse_a, quantity=5, unit_cost=1)
    services.receive(user=superuser, product=product, warehouse=warehouse_b, quantity=1500, unit_cost=1)

    response = admin_client.get(reverse("admin:inventory_stocklevel_changelist"), {"o": "-3"})

    assert [level.on_hand for level in response.context["cl"].result_list] == [1500, 5]
