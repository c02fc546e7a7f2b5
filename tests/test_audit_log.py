"""The global audit log: scope, filters, paging without counts, CSV export, access changes, retention."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.views.audit import PAGE_SIZE
from inventory import services
from inventory.exports import escape_formula
from inventory.models import AccessEvent, AuditEntry
from inventory.roles import CLERK
from tests.factories import ProductFactory, StockLevelFactory, SupplierFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


def log_rows(response) -> list[str]:
    html = response.content.decode()
    return html.split('id="audit-log"', 1)[1].split("</table>", 1)[0].split("<tr")[2:] if "audit-log" in html else []


def test_manager_sees_only_stock_entries_of_their_warehouses(client, manager, warehouse_a, warehouse_b):
    StockLevelFactory(warehouse=warehouse_a, product=ProductFactory(sku="MINE-1"))
    StockLevelFactory(warehouse=warehouse_b, product=ProductFactory(sku="THEIRS-1"))
    client.force_login(manager)

    response = client.get("/admin/audit/", {"model": "inventory.stocklevel"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "MINE-1 @ A" in page
    assert "THEIRS-1 @ B" not in page
    assert "B — Bravo" not in client.get("/admin/audit/").content.decode()


def test_clerk_without_audit_permission_cannot_open_the_log(client, clerk):
    client.force_login(clerk)

    assert client.get("/admin/audit/").status_code == 403
    assert client.get("/admin/audit/export/").status_code == 403


def test_filters_by_user_model_object_action_and_date(admin_client, superuser, clerk, warehouse_a):
    level = StockLevelFactory(warehouse=warehouse_a)
    services.receive(user=clerk, product=level.product, warehouse=warehouse_a, quantity=2, unit_cost=1)
    other = ProductFactory(name="Other product")

    by_user = log_rows(admin_client.get("/admin/audit/", {"user": clerk.username}))
    by_object = admin_client.get("/admin/audit/", {"model": "inventory.product", "object_id": other.pk})
    created = admin_client.get("/admin/audit/", {"model": "inventory.stocklevel", "action": "created"})
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    future = admin_client.get("/admin/audit/", {"date_from": tomorrow})
    today = admin_client.get("/admin/audit/", {"date_from": timezone.localdate(), "date_to": timezone.localdate()})

    assert len(by_user) == 1 and "Changed" in by_user[0]
    assert len(log_rows(by_object)) == 1 and "Other product" in by_object.content.decode()
    assert len(log_rows(created)) == 1
    assert "No audit entries match these filters." in future.content.decode()
    assert len(log_rows(today)) > 3


def test_an_unknown_user_filter_says_so(admin_client):
    response = admin_client.get("/admin/audit/", {"user": "nobody"})

    assert "There is no user “nobody”." in response.content.decode()


def test_user_filter_offers_only_people_who_acted_in_the_viewers_warehouses(
    client, manager, clerk, warehouse_a, warehouse_b
):
    bravo_clerk = UserFactory(username="bravo_clerk", roles=[CLERK])
    grant(bravo_clerk, "operate_stock", warehouse_b)
    product = ProductFactory()
    services.receive(user=clerk, product=product, warehouse=warehouse_a, quantity=2, unit_cost=1)
    services.receive(user=bravo_clerk, product=product, warehouse=warehouse_b, quantity=2, unit_cost=1)
    client.force_login(manager)

    page = client.get("/admin/audit/").content.decode()
    forged = client.get("/admin/audit/", {"user": "bravo_clerk"})

    assert '<option value="clerk_a">clerk_a</option>' in page
    assert "bravo_clerk" not in page
    assert "There is no user “bravo_clerk”." in forged.content.decode()
    assert log_rows(forged) == []


def test_superuser_is_offered_every_user_in_the_audit_log_filter(admin_client, clerk):
    page = admin_client.get("/admin/audit/").content.decode()

    assert '<option value="clerk_a">clerk_a</option>' in page


def test_each_row_links_to_the_object_history(admin_client):
    product = ProductFactory()

    response = admin_client.get("/admin/audit/", {"model": "inventory.product", "object_id": product.pk})

    assert f'href="/admin/inventory/product/{product.pk}/history/"' in response.content.decode()


def test_log_pages_newest_first_by_keyset_without_counting(admin_client):
    SupplierFactory.create_batch(PAGE_SIZE + 5)

    with CaptureQueriesContext(connection) as queries:
        first = admin_client.get("/admin/audit/", {"model": "inventory.supplier"})
    older_url = first.context["older_url"]
    second = admin_client.get(f"/admin/audit/{older_url}")

    assert not any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)
    assert len(log_rows(first)) == PAGE_SIZE
    assert len(log_rows(second)) == 5
    assert second.context["older_url"] is None
    seen = {row.split("/history/")[0].rsplit("/", 1)[-1] for row in log_rows(first) + log_rows(second)}
    assert len(seen) == PAGE_SIZE + 5


def test_access_changes_appear_in_the_log_with_the_actor(admin_client, superuser, clerk, warehouse_a):
    AccessEvent.objects.create(
        action=AccessEvent.Action.GRANT, actor=superuser, user=clerk, warehouse=warehouse_a, permission="manage_stock"
    )

    response = admin_client.get("/admin/audit/", {"model": "inventory.accessevent"})

    # The clerk fixture's own grant and role membership are logged too; find the manage_stock grant.
    [row] = [row for row in log_rows(response) if "manage_stock" in row]
    assert superuser.username in row and "Created" in row


def test_admin_exports_the_filtered_log_with_formulas_escaped(admin_client, superuser):
    product = ProductFactory(name="=HYPERLINK(1)")
    ProductFactory(name="Not exported")

    response = admin_client.get("/admin/audit/export/", {"model": "inventory.product", "object_id": product.pk})

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["When", "User", "Action"]
    assert len(rows) == 2
    assert rows[1][4:6] == [str(product.pk), f"{product.sku} — =HYPERLINK(1)"]
    assert rows[1][1] == ""  # created outside a request, by nobody


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_get_a_leading_apostrophe(value):
    assert escape_formula(value) == f"'{value}"
    assert escape_formula("Hammer") == "Hammer"


def test_export_escapes_a_formula_at_the_start_of_a_cell(admin_client):
    ProductFactory()
    entry = AuditEntry.objects.latest("id")
    entry.object_repr = "=cmd|' /C calc'!A0"
    entry.save()

    response = admin_client.get("/admin/audit/export/", {"model": "inventory.product"})

    body = b"".join(response.streaming_content).decode()
    assert "'=cmd|" in body


def test_manager_cannot_export_the_log(client, manager):
    client.force_login(manager)

    assert client.get("/admin/audit/").status_code == 200
    assert client.get("/admin/audit/export/").status_code == 403


def test_sidebar_shows_the_audit_log_to_managers_only(client, manager, clerk):
    client.force_login(manager)
    assert "/admin/audit/" in client.get("/admin/").content.decode()
    client.force_login(clerk)
    assert "/admin/audit/" not in client.get("/admin/").content.decode()


def _age(product, days: int) -> None:
    old = timezone.now() - timedelta(days=days)
    product.history.filter(id=product.pk).update(history_date=old)
    AuditEntry.objects.filter(object_id=product.pk, content_type__model="product").update(timestamp=old)


def test_prune_history_is_a_dry_run_by_default(capsys):
    old, recent = ProductFactory(), ProductFactory()
    _age(old, 400)

    call_command("prune_history", "--older-than", "365d", "--models", "inventory.Product")

    out = capsys.readouterr().out
    assert "Would delete 1 historical records of inventory.Product" in out
    assert "nothing was deleted" in out
    assert old.history.count() == 1 and recent.history.count() == 1


def test_prune_history_deletes_old_records_and_their_log_entries_with_yes(capsys):
    old, recent = ProductFactory(), ProductFactory()
    supplier = old.default_supplier
    _age(old, 400)
    supplier.history.update(history_date=timezone.now() - timedelta(days=400))

    call_command("prune_history", "--older-than", "365d", "--models", "inventory.Product", "--yes")

    assert old.history.count() == 0 and recent.history.count() == 1
    assert not AuditEntry.objects.filter(object_id=old.pk, content_type__model="product").exists()
    assert supplier.history.count() == 1  # not a chosen model
    assert "Deleted 1 historical records" in capsys.readouterr().out


def test_prune_history_refuses_a_bad_age_or_model():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="365d"):
        call_command("prune_history", "--older-than", "a year")
    with pytest.raises(CommandError, match="keeps no history"):
        call_command("prune_history", "--older-than", "30d", "--models", "inventory.StockMovement")


def test_an_ambiguous_date_is_refused_with_the_format_to_use(admin_client):
    ProductFactory(sku="DATED-1")

    response = admin_client.get("/admin/audit/", {"date_from": "03/12/2026"})

    page = response.content.decode()
    assert "Enter the date as YYYY-MM-DD, for example 2026-12-03." in page
    assert log_rows(response) == []
    assert len(log_rows(admin_client.get("/admin/audit/", {"date_from": timezone.localdate().isoformat()}))) >= 1


def test_an_object_id_alone_finds_that_id_in_every_model(admin_client):
    product = ProductFactory(sku="BY-ID-1")

    response = admin_client.get("/admin/audit/", {"object_id": product.pk})

    rows = log_rows(response)
    assert any("BY-ID-1" in row for row in rows)
    assert all(f"/{product.pk}/" in row for row in rows if "href" in row)


def test_the_date_pickers_get_the_scripts_they_need(admin_client):
    page = admin_client.get("/admin/audit/").content.decode()

    assert page.index("/admin/jsi18n/") < page.index("admin/js/calendar.js")
    assert page.index("admin/js/core.js") < page.index("admin/js/admin/DateTimeShortcuts.js")


def test_a_transfer_order_is_in_the_log_of_both_its_warehouses_and_no_other(
    client, superuser, manager, warehouse_a, warehouse_b
):
    from inventory.roles import MANAGER
    from inventory.services import transfers
    from inventory.services.submissions import new_submission_key
    from tests.factories import WarehouseFactory

    hammer = ProductFactory(sku="SKU-TO-LOG")
    services.receive(user=superuser, product=hammer, warehouse=warehouse_a, quantity=5, unit_cost=1)
    order = transfers.create_order(user=superuser, source=warehouse_a, warehouse=warehouse_b, lines=[(hammer, 3)])
    transfers.ship(user=superuser, order=order, submission_key=new_submission_key())
    destination_manager = UserFactory(roles=[MANAGER])
    grant(destination_manager, "manage_stock", warehouse_b)
    elsewhere = UserFactory(roles=[MANAGER])
    grant(elsewhere, "manage_stock", WarehouseFactory(code="C"))

    def logged(user, model: str) -> str:
        client.force_login(user)
        return "".join(log_rows(client.get("/admin/audit/", {"model": model})))

    for user in (manager, destination_manager):  # manager: the source (A) only
        assert order.number in logged(user, "inventory.transferorder")
        assert "SKU-TO-LOG" in logged(user, "inventory.transferorderline")
    assert order.number not in logged(elsewhere, "inventory.transferorder")
    assert "SKU-TO-LOG" not in logged(elsewhere, "inventory.transferorderline")


def test_stock_movements_are_in_the_model_list_and_read_from_the_ledger_in_scope(
    client, superuser, manager, warehouse_a, warehouse_b
):
    mine, theirs = ProductFactory(sku="SKU-LEDGER-A"), ProductFactory(sku="SKU-LEDGER-B")
    services.receive(user=manager, product=mine, warehouse=warehouse_a, quantity=4, unit_cost=1, reference="PO 7")
    services.receive(user=superuser, product=theirs, warehouse=warehouse_b, quantity=2, unit_cost=1)
    client.force_login(manager)

    page = client.get("/admin/audit/").content.decode()
    rows = "".join(log_rows(client.get("/admin/audit/", {"model": "inventory.stockmovement"})))
    changed = log_rows(client.get("/admin/audit/", {"model": "inventory.stockmovement", "action": "changed"}))

    assert '<option value="inventory.stockmovement">Stock movements (the ledger)</option>' in page
    assert "Receipt 4 × SKU-LEDGER-A into A" in rows and "PO 7" in rows and "manager_a" in rows
    assert "/admin/inventory/stockmovement/" in rows  # each row opens the movement
    assert "SKU-LEDGER-B" not in rows  # warehouse B is not the manager's
    assert changed == []  # a movement is never changed: it is reversed by another
    client.force_login(superuser)
    exported = b"".join(
        client.get("/admin/audit/export/", {"model": "inventory.stockmovement"}).streaming_content
    ).decode()
    assert "SKU-LEDGER-A" in exported and "SKU-LEDGER-B" in exported


def test_the_ledger_in_the_log_pages_by_keyset(admin_client, superuser, warehouse_a):
    product = ProductFactory(sku="SKU-PAGED")
    for _ in range(PAGE_SIZE + 3):
        services.receive(user=superuser, product=product, warehouse=warehouse_a, quantity=1, unit_cost=1)

    first = admin_client.get("/admin/audit/", {"model": "inventory.stockmovement"})
    older = first.context["older_url"]
    second = admin_client.get(f"/admin/audit/{older}")

    assert len(log_rows(first)) == PAGE_SIZE and len(log_rows(second)) == 3
