"""Reorder suggestions count what is on order, and turn ticked rows into draft purchase orders."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from inventory import services
from inventory.models import PurchaseOrder, PurchaseOrderState, StockLevel
from inventory.reports import ReorderSuggestionsReport
from inventory.roles import CATALOG_EDITOR
from inventory.services import purchasing
from inventory.services.submissions import new_submission_key
from tests.factories import ProductFactory, SupplierFactory, UserFactory, ordered_po

pytestmark = pytest.mark.django_db

DRAFT_URL = "admin:report_reorder_draft_orders"


@pytest.fixture
def bolts(superuser, warehouse_a):
    """3 on hand against a reorder point of 30, ordered in tens: 27 short, 30 suggested."""
    product = ProductFactory(
        sku="BOLT",
        name="Bolt",
        default_supplier=SupplierFactory(code="ACME"),
        reorder_point=Decimal("30"),
        reorder_quantity=Decimal("10"),
        cost_price=Decimal("0.40"),
    )
    services.receive(user=superuser, product=product, warehouse=warehouse_a, quantity=3, unit_cost=1)
    return product


@pytest.fixture
def nuts(superuser, warehouse_a):
    product = ProductFactory(
        sku="NUT",
        name="Nut",
        default_supplier=SupplierFactory(code="BOLTCO"),
        reorder_point=Decimal("5"),
        reorder_quantity=Decimal("50"),
        cost_price=Decimal("0.10"),
    )
    services.receive(user=superuser, product=product, warehouse=warehouse_a, quantity=1, unit_cost=1)
    return product


def suggestion(user, sku: str) -> tuple[Decimal, Decimal]:
    """(on order, suggested order) of the product's row."""
    report = ReorderSuggestionsReport(user, {})
    row = next(row for row in report.page().rows if row[1] == sku)
    return row[6], row[8]


def test_open_orders_are_subtracted_from_the_suggestion(superuser, bolts, warehouse_a):
    assert suggestion(superuser, "BOLT") == (Decimal("0.000"), Decimal("30.000"))

    ordered_po(superuser, warehouse_a, (bolts, 15, 1))

    # 30 − 3 on hand − 15 on order = 12 still needed, rounded up to whole tens.
    assert suggestion(superuser, "BOLT") == (Decimal("15.000"), Decimal("20.000"))


def test_what_arrived_is_no_longer_on_order(superuser, bolts, warehouse_a):
    order = ordered_po(superuser, warehouse_a, (bolts, 15, 1))
    purchasing.receive_order(
        user=superuser, order=order, quantities={order.lines.get().pk: 5}, submission_key=new_submission_key()
    )

    # 30 − 8 on hand − 10 still on order = 12 → 20.
    assert suggestion(superuser, "BOLT") == (Decimal("10.000"), Decimal("20.000"))


def test_orders_that_cover_the_need_leave_nothing_to_order(superuser, bolts, warehouse_a):
    ordered_po(superuser, warehouse_a, (bolts, 40, 1))

    assert suggestion(superuser, "BOLT") == (Decimal("40.000"), Decimal("0.000"))


def test_drafts_closed_cancelled_and_other_warehouses_orders_are_not_on_order(
    superuser, bolts, warehouse_a, warehouse_b
):
    purchasing.create_order(
        user=superuser, supplier=bolts.default_supplier, warehouse=warehouse_a, lines=[(bolts, 5, 1)]
    )
    ordered_po(superuser, warehouse_b, (bolts, 5, 1))
    cancelled = ordered_po(superuser, warehouse_a, (bolts, 5, 1))
    purchasing.cancel(user=superuser, order=cancelled)
    short = ordered_po(superuser, warehouse_a, (bolts, 5, 1))
    purchasing.close_short(user=superuser, order=short, reason="Discontinued")

    assert suggestion(superuser, "BOLT") == (Decimal("0.000"), Decimal("30.000"))


def draft_from(client, *levels, key=None):
    return client.post(
        reverse(DRAFT_URL),
        {"submission_key": key or new_submission_key(), "level": [level.pk for level in levels]},
        follow=True,
    )


def level_of(product, warehouse):
    return StockLevel.objects.get(product=product, warehouse=warehouse)


def test_ticked_rows_become_one_draft_per_supplier_at_the_suggested_quantities(
    client, manager, bolts, nuts, warehouse_a
):
    client.force_login(manager)
    page = client.get(reverse("admin:report_reorder_suggestions")).content.decode()
    assert f'name="level" value="{level_of(bolts, warehouse_a).pk}"' in page

    response = draft_from(client, level_of(bolts, warehouse_a), level_of(nuts, warehouse_a))

    orders = {order.supplier.code: order for order in PurchaseOrder.objects.all()}
    assert set(orders) == {"ACME", "BOLTCO"}
    assert all(order.state == PurchaseOrderState.DRAFT and order.warehouse == warehouse_a for order in orders.values())
    bolt_line, nut_line = orders["ACME"].lines.get(), orders["BOLTCO"].lines.get()
    assert (bolt_line.product, bolt_line.quantity_ordered, bolt_line.unit_cost) == (bolts, 30, Decimal("0.40"))
    assert (nut_line.product, nut_line.quantity_ordered) == (nuts, 50)
    text = " ".join(strip_tags(response.content.decode()).split())
    assert "Drafted 2 purchase orders:" in text
    assert f"{orders['ACME'].number} (ACME into A, 1 line)" in text


def test_drafting_twice_with_the_same_form_drafts_once(client, manager, bolts, warehouse_a):
    client.force_login(manager)
    key = new_submission_key()

    draft_from(client, level_of(bolts, warehouse_a), key=key)
    draft_from(client, level_of(bolts, warehouse_a), key=key)

    assert PurchaseOrder.objects.count() == 1


def test_a_row_of_another_warehouse_drafts_nothing(client, manager, superuser, bolts, warehouse_a, warehouse_b):
    services.receive(user=superuser, product=bolts, warehouse=warehouse_b, quantity=1, unit_cost=1)
    client.force_login(manager)

    response = draft_from(client, level_of(bolts, warehouse_a), level_of(bolts, warehouse_b))

    assert "not in a warehouse you order for" in response.content.decode()
    assert not PurchaseOrder.objects.exists()


def test_a_product_without_a_supplier_drafts_nothing_and_is_named(client, manager, bolts, nuts, warehouse_a):
    nuts.default_supplier = None
    nuts.save()
    client.force_login(manager)

    response = draft_from(client, level_of(bolts, warehouse_a), level_of(nuts, warehouse_a))

    assert "NUT has no default supplier" in response.content.decode()
    assert not PurchaseOrder.objects.exists()


def test_report_viewer_is_not_offered_drafting_and_cannot_post_it(client, report_viewer, bolts, warehouse_a):
    client.force_login(report_viewer)

    page = client.get(reverse("admin:report_reorder_suggestions")).content.decode()
    posted = client.post(reverse(DRAFT_URL), {"submission_key": "k", "level": [level_of(bolts, warehouse_a).pk]})

    assert 'name="level"' not in page
    assert posted.status_code == 403
    assert not PurchaseOrder.objects.exists()


def test_dashboard_counts_open_orders_and_units_on_order_in_the_viewers_warehouses(
    client, manager, superuser, bolts, warehouse_a, warehouse_b
):
    order = ordered_po(superuser, warehouse_a, (bolts, 15, 1))
    purchasing.receive_order(
        user=superuser, order=order, quantities={order.lines.get().pk: 5}, submission_key=new_submission_key()
    )
    ordered_po(superuser, warehouse_b, (bolts, 100, 1))
    purchasing.create_order(
        user=superuser, supplier=bolts.default_supplier, warehouse=warehouse_a, lines=[(bolts, 7, 1)]
    )
    client.force_login(manager)

    kpis = client.get(reverse("admin:index")).context["dashboard"]["kpis"]

    card = next(kpi for kpi in kpis if kpi["title"] == "Open purchase orders")
    assert (card["value"], card["footer"]) == ("1", "10 units still on order")


def test_a_clerk_opens_the_suggestions_of_their_warehouse_and_drafts_from_them(
    client, clerk, superuser, bolts, warehouse_a, warehouse_b
):
    services.receive(user=superuser, product=bolts, warehouse=warehouse_b, quantity=1, unit_cost=1)
    client.force_login(clerk)

    sidebar = client.get(reverse("admin:index")).content.decode()
    page = client.get(reverse("admin:report_reorder_suggestions"))
    response = draft_from(client, level_of(bolts, warehouse_a))

    assert reverse("admin:report_reorder_suggestions") in sidebar
    assert reverse("admin:report_stock_valuation") not in sidebar  # the other reports stay a report viewer's
    assert page.status_code == 200
    rows = page.context["page"].rows
    assert [(row[0], row[1]) for row in rows] == [("A", "BOLT")]  # not warehouse B's row
    assert "Drafted 1 purchase order:" in " ".join(strip_tags(response.content.decode()).split())
    assert client.get(reverse("admin:report_stock_valuation")).status_code == 403


def test_the_catalog_role_does_not_see_reorder_suggestions(client):
    client.force_login(UserFactory(roles=[CATALOG_EDITOR]))

    assert client.get(reverse("admin:report_reorder_suggestions")).status_code == 403
