"""Posting receipts and issues through the admin form."""

import pytest
from django.urls import reverse

from inventory.models import StockLevel, StockMovement
from tests.factories import ProductFactory

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
