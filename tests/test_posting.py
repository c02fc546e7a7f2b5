"""Posting receipts, issues, transfers and adjustments through the admin form."""

import pytest
from django.urls import reverse

from inventory import services
from inventory.models import MovementKind, StockLevel, StockMovement
from tests.factories import ProductFactory, grant

pytestmark = pytest.mark.django_db

POST_URL = "admin:inventory_stockmovement_add"


def test_clerk_posts_a_receipt_and_an_issue_and_sees_stock_change(client, clerk, warehouse_a):
    product = ProductFactory(sku="SKU-POST")
    client.force_login(clerk)
    data = {"kind": "receipt", "product": product.pk, "warehouse": warehouse_a.pk, "quantity": "8", "unit_cost": "2"}
    response = client.post(reverse(POST_URL), {**data, "submission_key": "first"}, follow=True)
    assert response.status_code == 200
    assert "Posted receipt of 8 × SKU-POST in A; on hand now 8." in response.content.decode()
    client.post(
        reverse(POST_URL), {**data, "kind": "issue", "quantity": "3", "unit_cost": "", "submission_key": "second"}
    )
    assert StockLevel.objects.get(product=product).on_hand == 5
    ledger = client.get(reverse("admin:inventory_stockmovement_changelist")).content.decode()
    assert ledger.count("SKU-POST") >= 2


def test_issue_beyond_stock_shows_the_domain_error_on_the_form(client, clerk, warehouse_a):
    product = ProductFactory(sku="SKU-ERR")
    client.force_login(clerk)
    data = {"kind": "issue", "product": product.pk, "warehouse": warehouse_a.pk, "quantity": "6", "submission_key": "k"}
    response = client.post(reverse(POST_URL), data)
    assert response.status_code == 200
    assert "Cannot issue 6 × SKU-ERR from A: only 0 on hand." in response.content.decode()
    assert not StockMovement.objects.exists()


def test_clerk_cannot_pick_a_warehouse_outside_their_scope(client, clerk, warehouse_b):
    product = ProductFactory()
    client.force_login(clerk)
    data = {
        "kind": "receipt",
        "product": product.pk,
        "warehouse": warehouse_b.pk,
        "quantity": "1",
        "unit_cost": "1",
        "submission_key": "k",
    }
    response = client.post(reverse(POST_URL), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not StockMovement.objects.exists()


def test_receipt_without_unit_cost_is_a_form_error(client, clerk, warehouse_a):
    product = ProductFactory()
    client.force_login(clerk)
    data = {
        "kind": "receipt",
        "product": product.pk,
        "warehouse": warehouse_a.pk,
        "quantity": "1",
        "submission_key": "k",
    }
    response = client.post(reverse(POST_URL), data)
    assert "A receipt needs a unit cost." in response.content.decode()


def test_clerk_transfers_stock_between_their_warehouses_and_both_legs_are_posted(
    client, clerk, warehouse_a, warehouse_b
):
    grant(clerk, "operate_stock", warehouse_b)
    product = ProductFactory(sku="SKU-MOVE")
    services.receive(user=clerk, product=product, warehouse=warehouse_a, quantity=8, unit_cost=2)
    client.force_login(clerk)
    data = {
        "kind": "transfer",
        "product": product.pk,
        "warehouse": warehouse_a.pk,
        "destination": warehouse_b.pk,
        "quantity": "3",
        "reference": "TO-9",
        "submission_key": "k",
    }

    response = client.post(reverse(POST_URL), data, follow=True)

    said = "Transferred 3 × SKU-MOVE from A to B; on hand now 5 in A and 3 in B."
    assert said in response.content.decode()
    legs = StockMovement.objects.filter(reference="TO-9").order_by("pk")
    assert [(leg.kind, leg.warehouse, leg.quantity) for leg in legs] == [
        (MovementKind.TRANSFER_OUT, warehouse_a, -3),
        (MovementKind.TRANSFER_IN, warehouse_b, 3),
    ]
    assert legs[0].group_id and legs[0].group_id == legs[1].group_id
    assert StockLevel.objects.get(product=product, warehouse=warehouse_b).on_hand == 3


def test_a_transfer_without_a_destination_is_a_form_error(client, clerk, warehouse_a):
    client.force_login(clerk)
    data = {
        "kind": "transfer",
        "product": ProductFactory().pk,
        "warehouse": warehouse_a.pk,
        "quantity": "1",
        "submission_key": "k",
    }

    response = client.post(reverse(POST_URL), data)

    assert "Choose where the stock goes." in response.content.decode()
    assert not StockMovement.objects.exists()


def test_manager_posts_an_adjustment_with_its_reason(client, manager, warehouse_a):
    product = ProductFactory(sku="SKU-ADJ")
    services.receive(user=manager, product=product, warehouse=warehouse_a, quantity=5, unit_cost=2)
    client.force_login(manager)
    data = {
        "kind": "adjustment",
        "product": product.pk,
        "warehouse": warehouse_a.pk,
        "quantity": "-2",
        "reason": "Damaged in the rack",
        "submission_key": "k",
    }

    response = client.post(reverse(POST_URL), data, follow=True)

    assert "Posted adjustment of 2 × SKU-ADJ in A; on hand now 3." in response.content.decode()
    adjustment = StockMovement.objects.get(kind=MovementKind.ADJUSTMENT)
    assert (adjustment.quantity, adjustment.reason, adjustment.created_by) == (-2, "Damaged in the rack", manager)


def test_an_adjustment_without_a_reason_is_a_form_error(client, manager, warehouse_a):
    client.force_login(manager)
    data = {
        "kind": "adjustment",
        "product": ProductFactory().pk,
        "warehouse": warehouse_a.pk,
        "quantity": "1",
        "reason": "   ",
        "submission_key": "k",
    }

    response = client.post(reverse(POST_URL), data)

    assert "An adjustment needs a reason." in response.content.decode()
    assert not StockMovement.objects.exists()


def test_the_ledger_post_address_opens_the_same_posting_screen_as_add(client, clerk):
    client.force_login(clerk)

    for name in ["admin:inventory_stockmovement_post", POST_URL]:
        response = client.get(reverse(name), follow=True)
        assert response.redirect_chain[-1][0] == reverse("admin:inventory_stockmovement_post_kind", args=["receipt"])
        assert response.templates[0].name == "backoffice/post_movement.html"
