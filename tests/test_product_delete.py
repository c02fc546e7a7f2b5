"""Deleting a product: refused with the reason when it has stock history, and deactivation offered instead."""

import pytest
from django.urls import reverse

from inventory import services
from inventory.models import Product
from tests.factories import ProductFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(superuser):
    product = ProductFactory(sku="HAMMER", name="Claw hammer")
    services.receive(user=superuser, product=product, warehouse=WarehouseFactory(), quantity=5, unit_cost=1)
    return product


def test_delete_page_says_the_product_has_history_and_offers_to_deactivate(admin_client, stocked):
    page = admin_client.get(reverse("admin:inventory_product_delete", args=[stocked.pk])).content.decode()
    assert "This product has stock history, so it cannot be deleted" in page
    assert "permission to delete" not in page
    assert "Deactivate instead" in page
    # Confirming the delete anyway deletes nothing.
    admin_client.post(reverse("admin:inventory_product_delete", args=[stocked.pk]), {"post": "yes"})
    assert Product.objects.filter(pk=stocked.pk).exists()


def test_the_offered_button_deactivates_the_product_with_history(admin_client, stocked):
    response = admin_client.post(
        reverse("admin:inventory_product_changelist"),
        {"action": "deactivate_selected", "_selected_action": [stocked.pk]},
        follow=True,
    )
    assert "Deactivated 1 product." in response.content.decode()
    stocked.refresh_from_db()
    assert stocked.is_active is False
    assert stocked.history.first().history_change_reason == "bulk deactivate"


def test_bulk_delete_names_the_products_with_history_and_deletes_none(admin_client, stocked):
    fresh = ProductFactory(sku="NEW")
    page = admin_client.post(
        reverse("admin:inventory_product_changelist"),
        {"action": "delete_selected", "_selected_action": [stocked.pk, fresh.pk]},
    ).content.decode()
    assert "These products have stock history" not in page  # only one of the two has history
    assert "This product has stock history" in page and "HAMMER" in page
    assert Product.objects.count() == 2


def test_a_product_without_history_is_still_deleted(admin_client):
    fresh = ProductFactory(sku="TYPO")
    page = admin_client.get(reverse("admin:inventory_product_delete", args=[fresh.pk])).content.decode()
    assert "Are you sure" in page
    admin_client.post(reverse("admin:inventory_product_delete", args=[fresh.pk]), {"post": "yes"})
    assert not Product.objects.filter(pk=fresh.pk).exists()
