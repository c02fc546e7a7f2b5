"""Done means: an admin edit, a clerk's receipt and a manager's count import all show in the audit log."""

import pytest

from inventory import services
from inventory.imports import apply_import
from inventory.models import Product
from tests.audit_helpers import product_form_data
from tests.factories import ProductFactory, StockLevelFactory

pytestmark = pytest.mark.django_db


def test_audit_log_shows_admin_edit_clerk_receipt_and_manager_count_with_users_and_diffs(
    client, superuser, clerk, manager, warehouse_a
):
    product = ProductFactory(name="Hammer")
    count_sheet = [
        (StockLevelFactory(warehouse=warehouse_a, product=ProductFactory(sku=sku)), n)
        for sku, n in [("COUNT-1", 3), ("COUNT-2", 0)]
    ]

    client.force_login(superuser)
    client.post(f"/admin/inventory/product/{product.pk}/change/", product_form_data(product, name="Claw hammer"))
    services.receive(user=clerk, product=product, warehouse=warehouse_a, quantity=10, unit_cost=4, reference="PO-0012")
    sheet = "sku,warehouse,counted\n" + "".join(f"{level.product.sku},A,{n}\n" for level, n in count_sheet)
    plan = apply_import("stock_counts", sheet.encode(), user=manager, filename="count.csv")
    assert plan.counts["updated"] == 1 and plan.counts["unchanged"] == 1

    page = client.get("/admin/audit/").content.decode()
    rows = page.split('id="audit-log"', 1)[1].split("<tr")[2:]

    def row(*needles):
        [match] = [r for r in rows if all(needle in r for needle in needles)]
        return match

    assert superuser.username in row("Claw hammer", "Changed")
    assert "Hammer → Claw hammer" in row("Claw hammer", "Changed")
    receipt = row(f"{product.sku} @ A", "receipt PO-0012", "On hand")
    assert clerk.username in receipt and "0.000 → 10.000" in receipt
    count = row("COUNT-1 @ A", "adjustment import count.csv")
    assert manager.username in count and "0.000 → 3.000" in count
    assert not [r for r in rows if "COUNT-2 @ A" in r and "Changed" in r]  # counted as on hand: nothing to record


def test_clerk_without_change_permission_sees_no_revert_button_and_a_forged_revert_is_refused(client, clerk):
    product = ProductFactory(name="Original")
    original = product.history.earliest("history_id")
    product.name = "Edited"
    product.save()
    client.force_login(clerk)
    url = f"/admin/inventory/product/{product.pk}/history/{original.history_id}/"

    page = client.get(url)
    forged = client.post(url, product_form_data(product, name="Original"))

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert forged.status_code == 403
    assert Product.objects.get(pk=product.pk).name == "Edited"
