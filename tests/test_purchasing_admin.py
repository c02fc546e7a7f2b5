"""Purchase orders in the admin: drafting with lines, placing, the Receive screen, closing and scope."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from inventory.models import GoodsReceipt, PurchaseOrder, PurchaseOrderLine, PurchaseOrderState, StockLevel
from inventory.roles import CLERK
from tests.factories import ProductFactory, SupplierFactory, UserFactory, grant, ordered_po

pytestmark = pytest.mark.django_db


@pytest.fixture
def hammer(db):
    return ProductFactory(sku="SKU-HAMMER", name="Hammer")


@pytest.fixture
def nails(db):
    return ProductFactory(sku="SKU-NAILS", name="Nails")


@pytest.fixture
def order(clerk, warehouse_a, hammer, nails):
    return ordered_po(clerk, warehouse_a, (hammer, 10, "2.50"), (nails, 4, "1"))


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


def url(name: str, *args) -> str:
    return reverse(f"admin:inventory_purchaseorder_{name}", args=args)


def text(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def receive_form(client, order) -> dict:
    """The Receive screen's form as the browser would post it, with its defaults."""
    form = client.get(url("receive_goods", order.pk)).context["form"]
    data = {"submission_key": form.initial["submission_key"]}
    for row in form.rows():
        data[row["field"].html_name] = row["field"].initial
    return data


def test_purchase_order_list_shows_number_supplier_warehouse_and_state(clerk_client, order):
    response = clerk_client.get(url("changelist"))

    assert response.status_code == 200
    page = text(response)
    assert order.number in page and order.supplier.name in page and "Ordered" in page


def test_clerk_drafts_an_order_with_lines_and_places_it(clerk_client, warehouse_a, hammer):
    supplier = SupplierFactory(code="ACME")
    response = clerk_client.post(
        url("add"),
        {
            "supplier": supplier.pk,
            "warehouse": warehouse_a.pk,
            "expected_date": "",
            "notes": "Urgent",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": hammer.pk,
            "lines-0-quantity_ordered": "12",
            "lines-0-unit_cost": "3.10",
            "receipts-TOTAL_FORMS": "0",
            "receipts-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["errors"] if response.context else response
    order = PurchaseOrder.objects.get()
    assert order.number.startswith("PO-") and order.state == PurchaseOrderState.DRAFT
    assert [(line.product, line.quantity_ordered) for line in order.lines.all()] == [(hammer, Decimal("12"))]
    assert order.history.filter(history_user__username="clerk_a").exists()

    confirm = clerk_client.get(url("place_order", order.pk))
    placed = clerk_client.post(
        url("place_order", order.pk), {"submission_key": confirm.context["form"].initial["submission_key"]}, follow=True
    )

    order.refresh_from_db()
    assert order.state == PurchaseOrderState.ORDERED
    assert f"Placed {order.number} with {supplier.name}." in text(placed)


def test_a_draft_line_for_a_whole_unit_product_refuses_a_fraction(clerk_client, warehouse_a, hammer):
    response = clerk_client.post(
        url("add"),
        {
            "supplier": SupplierFactory().pk,
            "warehouse": warehouse_a.pk,
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": hammer.pk,
            "lines-0-quantity_ordered": "1.5",
            "lines-0-unit_cost": "1",
            "receipts-TOTAL_FORMS": "0",
            "receipts-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "SKU-HAMMER is counted in whole units" in text(response)
    assert not PurchaseOrder.objects.exists()


def test_receive_screen_lists_open_lines_with_what_remains(clerk_client, clerk, order):
    from inventory.services import purchasing
    from inventory.services.submissions import new_submission_key

    nails_line = order.lines.get(product__sku="SKU-NAILS")
    purchasing.receive_order(
        user=clerk, order=order, quantities={nails_line.pk: 4}, submission_key=new_submission_key()
    )

    response = clerk_client.get(url("receive_goods", order.pk))

    assert response.status_code == 200
    rows = {row["line"].product.sku: row["field"].initial for row in response.context["form"].rows()}
    assert rows == {"SKU-HAMMER": "10"}
    assert "SKU-NAILS" not in text(response).split("Receive now", 1)[1]


def test_posting_the_receive_screen_moves_stock_and_says_what_it_posted(clerk_client, order, hammer, warehouse_a):
    data = receive_form(clerk_client, order)
    hammer_field = next(name for name in data if name != "submission_key" and data[name] == "10")
    data[hammer_field] = "6"

    response = clerk_client.post(url("receive_goods", order.pk), data, follow=True)

    receipt = GoodsReceipt.objects.get()
    assert f"Received {receipt.number}: 2 lines into A" in text(response)
    assert response.redirect_chain[-1][0] == url("change", order.pk)
    assert StockLevel.objects.get(product=hammer, warehouse=warehouse_a).on_hand == 6
    order.refresh_from_db()
    assert order.state == PurchaseOrderState.PARTIALLY_RECEIVED


def test_a_double_posted_receive_screen_posts_once(clerk_client, order, hammer, warehouse_a):
    data = receive_form(clerk_client, order)

    first = clerk_client.post(url("receive_goods", order.pk), data, follow=True)
    second = clerk_client.post(url("receive_goods", order.pk), data, follow=True)

    assert GoodsReceipt.objects.count() == 1
    assert StockLevel.objects.get(product=hammer, warehouse=warehouse_a).on_hand == 10
    number = GoodsReceipt.objects.get().number
    assert f"Received {number}" in text(first) and f"Received {number}" in text(second)


def test_receiving_more_than_ordered_is_shown_on_the_form_and_posts_nothing(clerk_client, order):
    data = receive_form(clerk_client, order)
    hammer_field = next(name for name in data if name != "submission_key" and data[name] == "10")
    data[hammer_field] = "11"

    response = clerk_client.post(url("receive_goods", order.pk), data)

    assert response.status_code == 200
    assert f"Cannot receive 11 × SKU-HAMMER on {order.number}" in text(response)
    assert not GoodsReceipt.objects.exists()


def test_closing_short_asks_for_a_reason(clerk_client, order):
    key = clerk_client.get(url("close_short", order.pk)).context["form"].initial["submission_key"]

    refused = clerk_client.post(url("close_short", order.pk), {"submission_key": key, "reason": ""})
    closed = clerk_client.post(
        url("close_short", order.pk), {"submission_key": key, "reason": "Discontinued"}, follow=True
    )

    assert "Say why the rest will not arrive" in text(refused)
    order.refresh_from_db()
    assert order.state == PurchaseOrderState.CLOSED_SHORT and order.close_reason == "Discontinued"
    assert f"Closed {order.number} short." in text(closed)


def test_change_page_offers_the_steps_that_apply(clerk_client, order):
    page = clerk_client.get(url("change", order.pk)).content.decode()

    assert url("receive_goods", order.pk) in page
    assert url("revise_line", order.pk) in page
    assert url("close_short", order.pk) in page
    assert url("cancel_order", order.pk) in page
    assert url("place_order", order.pk) not in page


def test_report_viewer_sees_the_order_but_cannot_receive(client, order, report_viewer):
    client.force_login(report_viewer)

    page = client.get(url("change", order.pk))

    assert page.status_code == 200
    assert url("receive_goods", order.pk) not in page.content.decode()
    assert client.get(url("receive_goods", order.pk)).status_code == 403


@pytest.mark.parametrize("view", ["change", "history", "receive_goods", "place_order", "close_short", "cancel_order"])
def test_clerk_cannot_open_another_warehouses_order(client, order, warehouse_b, view):
    other = UserFactory(username="clerk_b", roles=[CLERK])
    grant(other, "operate_stock", warehouse_b)
    client.force_login(other)

    assert client.get(url(view, order.pk)).status_code == 404
    listed = client.get(url("changelist"))
    assert order.number not in text(listed)


def test_product_page_shows_what_is_still_on_order_per_warehouse(clerk_client, clerk, order, hammer):
    from inventory.services import purchasing
    from inventory.services.submissions import new_submission_key

    hammer_line = order.lines.get(product=hammer)
    purchasing.receive_order(
        user=clerk, order=order, quantities={hammer_line.pk: 4}, submission_key=new_submission_key()
    )

    response = clerk_client.get(reverse("admin:inventory_product_change", args=[hammer.pk]))

    inline = next(formset for formset in response.context["inline_admin_formsets"] if formset.opts.model is StockLevel)
    (row,) = list(inline)
    assert inline.opts.on_order(row.original) == "6"
    assert "On order" in text(response)


def revise(client, order, line, **data):
    key = client.get(url("revise_line", order.pk)).context["form"].initial["submission_key"]
    return client.post(url("revise_line", order.pk), {"submission_key": key, "line": line.pk, **data}, follow=True)


def test_clerk_revises_an_ordered_line_and_its_history_says_why(clerk_client, clerk, order, hammer):
    line = order.lines.get(product=hammer)

    response = revise(clerk_client, order, line, quantity_ordered="12", unit_cost="2.75", reason="Supplier confirmed")

    assert f"Revised SKU-HAMMER on {order.number}: 12 at 2.75." in text(response)
    line.refresh_from_db()
    assert (line.quantity_ordered, line.unit_cost) == (Decimal("12"), Decimal("2.75"))
    latest = line.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (clerk, "revised: Supplier confirmed")
    history = text(clerk_client.get(url("history", order.pk)))
    assert "revised SKU-HAMMER: quantity 10 → 12, cost 2.5 → 2.75 (Supplier confirmed)" in history


def test_a_revision_below_what_arrived_is_refused_on_the_form(clerk_client, clerk, order, hammer):
    from inventory.services import purchasing
    from inventory.services.submissions import new_submission_key

    line = order.lines.get(product=hammer)
    purchasing.receive_order(user=clerk, order=order, quantities={line.pk: 6}, submission_key=new_submission_key())

    response = revise(clerk_client, order, line, quantity_ordered="5", reason="Short")

    assert f"6 × SKU-HAMMER already arrived on {order.number}; cannot order fewer." in text(response)
    line.refresh_from_db()
    assert line.quantity_ordered == 10


def test_a_revision_needs_a_new_quantity_or_cost(clerk_client, order, hammer):
    response = revise(clerk_client, order, order.lines.get(product=hammer), reason="Nothing")

    assert "Enter a new quantity, a new unit cost, or both." in text(response)


def test_stock_level_list_shows_what_is_on_order(clerk_client, clerk, order, hammer, warehouse_a):
    from inventory.services import purchasing
    from inventory.services.submissions import new_submission_key

    hammer_line = order.lines.get(product=hammer)
    purchasing.receive_order(
        user=clerk, order=order, quantities={hammer_line.pk: 4}, submission_key=new_submission_key()
    )

    response = clerk_client.get(reverse("admin:inventory_stocklevel_changelist"))

    changelist = response.context["cl"]
    (level,) = changelist.result_list
    assert changelist.model_admin.on_order(level) == "6"
    assert "On order" in text(response)


def test_an_order_goes_only_to_a_warehouse_the_clerk_operates(client, warehouse_a, warehouse_b, hammer):
    user = UserFactory(username="mixed", roles=[CLERK])
    grant(user, "operate_stock", warehouse_a)
    grant(user, "view_stock", warehouse_b)
    client.force_login(user)

    offered = client.get(url("add")).context["adminform"].form.fields["warehouse"].queryset
    response = client.post(
        url("add"),
        {
            "supplier": SupplierFactory().pk,
            "warehouse": warehouse_b.pk,
            "lines-TOTAL_FORMS": "0",
            "lines-INITIAL_FORMS": "0",
            "receipts-TOTAL_FORMS": "0",
            "receipts-INITIAL_FORMS": "0",
        },
    )

    assert list(offered) == [warehouse_a]
    assert "warehouse" in response.context["adminform"].form.errors
    assert not PurchaseOrder.objects.exists()


def csv_rows(response) -> list[dict]:
    import csv
    import io

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_purchase_order_export_has_natural_keys_and_only_own_warehouses(
    media, client, manager, superuser, order, warehouse_b
):
    other = ordered_po(superuser, warehouse_b, (ProductFactory(), 1, 1))
    client.force_login(manager)

    rows = csv_rows(client.get(url("changelist") + "export/?format=csv"))
    forged = client.post(
        url("changelist"), {"action": "export_selected_csv", "_selected_action": [order.pk, other.pk]}, follow=True
    )

    assert [(row["number"], row["supplier"], row["warehouse"], row["state"]) for row in rows] == [
        (order.number, order.supplier.code, "A", "ordered")
    ]
    assert "are outside your warehouses; the action was not run" in forged.content.decode()


def test_clerk_without_export_permission_cannot_export_purchase_orders(media, clerk_client, order):
    assert clerk_client.get(url("changelist") + "export/?format=csv").status_code == 403


def test_product_page_lists_its_purchase_orders_in_the_users_warehouses_only(
    clerk_client, superuser, order, hammer, warehouse_b
):
    other = ordered_po(superuser, warehouse_b, (hammer, 3, 1))

    response = clerk_client.get(reverse("admin:inventory_product_change", args=[hammer.pk]))

    inline = next(
        formset for formset in response.context["inline_admin_formsets"] if formset.opts.model is PurchaseOrderLine
    )
    assert [form.original.order for form in inline] == [order]
    page = response.content.decode()
    assert url("change", order.pk) in page
    assert other.number not in page


def test_product_page_costs_the_same_with_3_or_30_purchase_orders(admin_client, superuser, warehouse_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(orders: int) -> int:
        product = ProductFactory()
        for _ in range(orders):
            ordered_po(superuser, warehouse_a, (product, 2, 1))
        page = reverse("admin:inventory_product_change", args=[product.pk])
        admin_client.get(page)
        with CaptureQueriesContext(connection) as captured:
            admin_client.get(page)
        return len(captured)

    assert queries(3) == queries(30)


def test_an_ordered_purchase_order_cannot_be_edited_as_a_form(clerk_client, order):
    response = clerk_client.post(
        url("change", order.pk),
        {"supplier": SupplierFactory().pk, "warehouse": order.warehouse_id, "notes": "Changed"},
    )

    assert response.status_code == 403
    order.refresh_from_db()
    assert order.notes == ""


def test_purchase_orders_sit_under_purchasing_in_the_sidebar_and_breadcrumbs(clerk_client, order):
    from tests.test_names import _crumbs, _sidebar

    changelist = clerk_client.get(url("changelist")).content.decode()
    change = clerk_client.get(url("change", order.pk)).content.decode()

    assert "Purchasing Purchase orders Goods receipts" in _sidebar(changelist)
    assert _crumbs(changelist) == ["Purchasing", "Purchase orders"]
    assert _crumbs(change) == ["Purchasing", "Purchase orders", order.number]
