"""An import preview says what changes: old → new per field of updated rows; for counts, on hand, counted,
difference and its value."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import strip_tags

from inventory import services
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def preview(client, model: str, data: bytes) -> str:
    response = client.post(
        reverse(f"admin:inventory_{model}_import"),
        {
            "file": SimpleUploadedFile("file.csv", data, content_type="text/csv"),
            "format": "",
            "delimiter": "",
            "decimal": "",
        },
    )
    assert response.status_code == 200
    return " ".join(strip_tags(response.content.decode()).split())


def test_updated_products_list_each_changed_field_old_to_new_with_names_not_ids(admin_client):
    tools = CategoryFactory(name="Tools")
    CategoryFactory(name="Paint")
    ProductFactory(sku="SKU-1", name="Hammer", category=tools, cost_price=Decimal("2.00"), is_active=True)
    ProductFactory(sku="SKU-2", name="Unchanged", category=tools)
    page = preview(
        admin_client,
        "product",
        b"sku,name,category,cost_price,active\nSKU-1,Claw hammer,Paint,2.5,no\nSKU-2,Unchanged,Tools,,\n",
    )
    assert "What changes" in page
    assert "Name: Hammer → Claw hammer" in page
    assert "Category: Tools → Paint" in page
    assert "Active: yes → no" in page
    assert "Unchanged →" not in page


def test_a_count_sheet_preview_shows_on_hand_counted_difference_and_value(admin_client, superuser, warehouse_a):
    product = ProductFactory(sku="SKU-C")
    services.receive(user=superuser, product=product, warehouse=warehouse_a, quantity=10, unit_cost="2.50")
    page = preview(admin_client, "stocklevel", b"sku,warehouse,counted\nSKU-C,A,7\n")
    assert "On hand Counted Difference Value" in page
    assert "SKU-C A 10 7 -3" in page and "−$7.50" in page
