"""Every role starts on a page for its day: what it may do, where, its own recent work, what needs it."""

import pytest
from django.utils.html import strip_tags

from inventory import services
from inventory.models import DataJob
from inventory.roles import CATALOG_EDITOR
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def home(client, user) -> str:
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_clerk_gets_posting_actions_their_warehouses_and_their_own_recent_movements(
    client, clerk, manager, warehouse_a, warehouse_b
):
    product = ProductFactory(sku="SKU-HOME", reorder_point=50)
    services.receive(user=clerk, product=product, warehouse=warehouse_a, quantity=5, unit_cost=1)
    services.receive(
        user=manager,
        product=ProductFactory(sku="SKU-NOT-MINE", reorder_point=0),
        warehouse=warehouse_a,
        quantity=5,
        unit_cost=1,
    )
    DataJob.objects.create(kind="export", title="Export of stock levels, 12 rows", created_by=clerk, status="failed")
    page = home(client, clerk)
    text = " ".join(strip_tags(page).split())
    for action in ("Receive stock", "Issue stock", "Transfer stock", "New purchase order"):
        assert action in text, action
    assert "Adjust stock" not in text and "Import products" not in text  # not the clerk's to do
    assert "/admin/inventory/stockmovement/post/receipt/" in page
    assert "A — Alpha" in text and "B — Bravo" not in text
    assert "Receipt 5 × SKU-HOME into A" in text and "SKU-NOT-MINE" not in text
    assert "Export of stock levels, 12 rows" in text
    assert "1 of your background jobs failed this week" in text
    assert "1 stock row is at or below its reorder point" in text
    assert 'href="/admin/reports/reorder-suggestions/">1 stock row is at or below' in page  # where to order it


def test_a_catalog_editor_gets_catalog_actions_and_no_stock(client):
    editor = UserFactory(roles=[CATALOG_EDITOR])
    text = " ".join(strip_tags(home(client, editor)).split())
    assert "Import products" in text and "Add a product" in text
    assert "Receive stock" not in text
    assert "None yet: stock screens show what the warehouses you are granted hold" in text


def test_a_start_page_action_opens_the_posting_form_on_its_kind(client, clerk):
    client.force_login(clerk)
    form = client.get("/admin/inventory/stockmovement/post/?kind=transfer", follow=True).context["form"]
    assert form["kind"].value() == "transfer" and "destination" in form.fields
