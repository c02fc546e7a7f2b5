"""Each kind of posting has its own screen with only its fields; users are offered only what they may post."""

import pytest
from django.urls import reverse

from inventory.models import StockMovement
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def screen(kind: str) -> str:
    return reverse("admin:inventory_stockmovement_post_kind", args=[kind])


def test_a_clerk_is_offered_receipts_issues_and_transfers_each_with_its_own_fields(client, clerk):
    client.force_login(clerk)
    fields = {}
    for kind in ("receipt", "issue", "transfer"):
        response = client.get(screen(kind))
        assert response.status_code == 200
        fields[kind] = [name for name in response.context["form"].fields if name not in ("kind", "submission_key")]
        tabs = [tab["title"] for tab in response.context["tabs"]]
        assert tabs == ["Receive stock", "Issue stock", "Transfer stock"]
        assert response.context["title"] in tabs
    assert fields["receipt"] == ["product", "warehouse", "quantity", "unit_cost", "reference", "reason"]
    assert fields["issue"] == ["product", "warehouse", "quantity", "reference", "reason"]
    assert fields["transfer"] == ["product", "warehouse", "destination", "quantity", "reference", "reason"]
    assert client.get(screen("adjustment")).status_code == 403  # never offered, refused if typed
    assert client.get(screen("teleport")).status_code == 404


def test_a_manager_adjusts_with_a_reason_and_is_told_when_it_is_missing(client, manager, warehouse_a):
    product = ProductFactory(sku="SKU-ADJ")
    client.force_login(manager)
    page = client.get(screen("adjustment"))
    key = page.context["form"].initial["submission_key"]
    data = {
        "kind": "adjustment",
        "product": product.pk,
        "warehouse": warehouse_a.pk,
        "quantity": "4",
        "submission_key": key,
    }
    refused = client.post(screen("adjustment"), data)
    assert "An adjustment needs a reason." in refused.content.decode()
    assert not StockMovement.objects.exists()
    client.post(screen("adjustment"), {**data, "reason": "Found in the back"})
    assert StockMovement.objects.get().reason == "Found in the back"


def test_post_and_add_another_returns_to_an_empty_screen_of_the_same_kind(client, clerk, warehouse_a):
    product = ProductFactory(sku="SKU-AGAIN")
    client.force_login(clerk)
    key = client.get(screen("receipt")).context["form"].initial["submission_key"]
    data = {
        "kind": "receipt",
        "product": product.pk,
        "warehouse": warehouse_a.pk,
        "quantity": "2",
        "unit_cost": "1.50",
        "submission_key": key,
        "_addanother": "1",
    }
    response = client.post(screen("receipt"), data, follow=True)
    assert response.redirect_chain[-1][0] == screen("receipt")
    assert "Posted receipt of 2 × SKU-AGAIN in A; on hand now 2." in response.content.decode()
    assert response.context["form"].initial["submission_key"] != key  # a fresh form, ready for the next


def test_a_kind_forged_into_a_screen_is_refused_and_posts_nothing(client, clerk, warehouse_a):
    product = ProductFactory(sku="SKU-FORGED")
    client.force_login(clerk)
    key = client.get(screen("issue")).context["form"].initial["submission_key"]
    data = {
        "kind": "receipt",
        "product": product.pk,
        "warehouse": warehouse_a.pk,
        "quantity": "2",
        "submission_key": key,
    }
    response = client.post(screen("issue"), data)
    assert response.status_code == 200 and "kind" in response.context["form"].errors
    assert not StockMovement.objects.exists()
