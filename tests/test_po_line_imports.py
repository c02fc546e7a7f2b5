"""Importing lines into a draft purchase order from a file: its preview (old → new), its errors, once, in scope."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import strip_tags
from openpyxl import Workbook

from inventory.imports import ImportFileError, apply_import, preview_import
from inventory.models import DataJob, PurchaseOrderLine
from inventory.roles import CLERK
from inventory.services import purchasing
from inventory.tasks import run_import
from tests.factories import ProductFactory, SupplierFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def hammer(db):
    return ProductFactory(sku="SKU-HAMMER", name="Hammer")


@pytest.fixture
def nails(db):
    return ProductFactory(sku="SKU-NAILS", name="Nails", cost_price=Decimal("0.40"))


@pytest.fixture
def draft(clerk, warehouse_a, hammer):
    return purchasing.create_order(
        user=clerk, supplier=SupplierFactory(code="ACME"), warehouse=warehouse_a, lines=[(hammer, 10, "2.50")]
    )


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


def import_url(order) -> str:
    return reverse("admin:inventory_purchaseorder_import_lines", args=[order.pk])


def text(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def upload(client, order, content: bytes | str, name: str = "lines.csv"):
    file = io.BytesIO(content.encode() if isinstance(content, str) else content)
    file.name = name
    return client.post(import_url(order), {"file": file})


def confirm(client, order, response):
    return client.post(import_url(order), {"token": response.context["token"]}, follow=True)


def lines_of(order) -> dict[str, tuple[Decimal, Decimal]]:
    lines = PurchaseOrderLine.objects.filter(order=order).select_related("product")
    return {line.product.sku: (line.quantity_ordered, line.unit_cost) for line in lines}


def test_a_clerk_previews_the_lines_old_to_new_then_confirms_them_onto_the_draft(clerk_client, clerk, draft, nails):
    preview = upload(clerk_client, draft, "sku,quantity,unit_cost\nsku-hammer,12,2.75\nSKU-NAILS,500,\n")

    assert preview.status_code == 200
    counts = preview.context["counts"]
    assert (counts["new"], counts["updated"], counts["errors"]) == (1, 1, 0)
    assert f"Import purchase order lines into {draft.number}" in text(preview)
    assert preview.context["change_table"]["rows"] == [
        [2, "SKU-HAMMER", "Hammer", "updated", "10 → 12", "$2.50 → $2.75"],
        [3, "SKU-NAILS", "Nails", "new line", "500", "$0.40"],  # an empty cost takes the product's cost price
    ]
    assert "10 → 12" in text(preview)
    assert lines_of(draft) == {"SKU-HAMMER": (Decimal("10"), Decimal("2.5"))}

    done = confirm(clerk_client, draft, preview)

    assert done.redirect_chain[-1][0] == reverse("admin:inventory_purchaseorder_change", args=[draft.pk])
    assert f"Imported lines.csv into {draft.number}: 1 new, 1 updated, 0 unchanged." in text(done)
    assert lines_of(draft) == {
        "SKU-HAMMER": (Decimal("12"), Decimal("2.75")),
        "SKU-NAILS": (Decimal("500"), Decimal("0.4")),
    }
    latest = PurchaseOrderLine.history.filter(order_id=draft.pk).order_by("-history_id")[:2]
    assert {(entry.history_user, entry.history_change_reason) for entry in latest} == {(clerk, "import lines.csv")}


def test_lines_the_file_does_not_name_stay_and_an_unchanged_line_is_not_saved_again(clerk_client, draft, nails):
    purchasing.merge_lines(user=draft.created_by, order=draft, lines=[(nails, 3, "0.5")])
    versions = PurchaseOrderLine.history.count()

    preview = upload(clerk_client, draft, "sku,quantity,unit_cost\nSKU-HAMMER,10,2.50\n")
    confirm(clerk_client, draft, preview)

    assert preview.context["counts"]["unchanged"] == 1
    assert set(lines_of(draft)) == {"SKU-HAMMER", "SKU-NAILS"}
    assert PurchaseOrderLine.history.count() == versions


def test_an_xlsx_file_imports_the_same_way(clerk_client, draft, nails):
    workbook = Workbook()
    workbook.active.append(["sku", "quantity", "unit_cost"])
    workbook.active.append(["SKU-NAILS", 25, 0.45])
    data = io.BytesIO()
    workbook.save(data)

    confirm(clerk_client, draft, upload(clerk_client, draft, data.getvalue(), name="lines.xlsx"))

    assert lines_of(draft)["SKU-NAILS"] == (Decimal("25"), Decimal("0.45"))


def test_every_problem_of_every_row_shows_at_once_and_nothing_is_written(clerk_client, draft, hammer):
    ProductFactory(sku="SKU-OLD", is_active=False)
    ProductFactory(sku="SKU-KG", unit="kg")
    before = lines_of(draft)
    rows = [
        "sku,quantity,unit_cost",
        "SKU-NOPE,1,1",  # 2
        "SKU-OLD,1,1",  # 3
        "SKU-KG,abc,1",  # 4
        "SKU-KG,-3,1",  # 5
        "SKU-HAMMER,0,1",  # 6
        "SKU-KG,100000000000,1",  # 7
        "SKU-NOPE2,2.5,-1",  # 8: unknown SKU, and a negative cost
        "SKU-HAMMER,1,1",  # 9: the second SKU-HAMMER
        ",4,1",  # 10
    ]
    ProductFactory(sku="SKU-EA")
    rows.append("SKU-EA,2.5,1")  # 11: a fraction of a whole-unit product

    preview = upload(clerk_client, draft, "\n".join(rows) + "\n")

    assert preview.context["token"] == ""
    problems = {(row, column): message for row, column, message in preview.context["error_table"]["rows"]}
    assert problems[(2, "sku")] == "SKU SKU-NOPE does not exist."
    assert problems[(3, "sku")] == "SKU-OLD is inactive; activate it before ordering it."
    assert "“abc” is not a number" in problems[(4, "quantity")]
    assert "cannot be negative" in problems[(5, "quantity")]
    assert problems[(6, "quantity")] == "Quantity must be greater than zero; got 0."
    assert "Quantities are at most 99,999,999.999" in problems[(7, "quantity")]
    assert problems[(8, "sku")] == "SKU SKU-NOPE2 does not exist."
    assert "cannot be negative" in problems[(8, "unit_cost")]
    assert problems[(9, "sku")] == "SKU-HAMMER appears more than once in the file (first on row 6)."
    assert problems[(10, "sku")] == "Enter the SKU."
    assert problems[(11, "quantity")] == "SKU-EA is counted in whole units (each); got 2.5."
    assert "Nothing was imported" in text(preview)
    assert lines_of(draft) == before


def test_an_ordered_po_takes_no_import_and_says_it_is_not_a_draft(clerk_client, clerk, draft, nails):
    purchasing.place_order(user=clerk, order=draft)

    page = clerk_client.get(import_url(draft))
    preview = upload(clerk_client, draft, "sku,quantity,unit_cost\nSKU-NAILS,5,1\n")

    refusal = f"{draft.number} is not a draft (it is ordered): once ordered, its lines change only through a"
    assert refusal in text(page)
    assert refusal in text(preview) and "token" not in preview.context
    assert set(lines_of(draft)) == {"SKU-HAMMER"}
    change_page = clerk_client.get(reverse("admin:inventory_purchaseorder_change", args=[draft.pk]))
    assert import_url(draft) not in change_page.content.decode()


def test_a_po_placed_between_preview_and_confirm_is_refused_with_nothing_written(clerk_client, clerk, draft, nails):
    preview = upload(clerk_client, draft, "sku,quantity,unit_cost\nSKU-NAILS,5,1\n")
    purchasing.place_order(user=clerk, order=draft)

    done = confirm(clerk_client, draft, preview)

    assert f"{draft.number} is not a draft" in text(done)
    assert set(lines_of(draft)) == {"SKU-HAMMER"}


def test_the_draft_page_offers_import_lines_and_its_template(clerk_client, draft):
    change_page = clerk_client.get(reverse("admin:inventory_purchaseorder_change", args=[draft.pk]))
    template = clerk_client.get(reverse("admin:inventory_purchaseorder_po_lines_template", args=[draft.pk]))
    page = clerk_client.get(import_url(draft))

    assert import_url(draft) in change_page.content.decode()
    assert template["Content-Disposition"] == 'attachment; filename="po_lines-template.csv"'
    assert template.content.decode("utf-8-sig").splitlines() == ["sku,quantity,unit_cost", "SKU-0001,12,7.50"]
    assert "A SKU already on" in text(page) and "template" in page.context["template_url"]


def test_a_repeated_confirm_imports_once(clerk_client, draft, nails):
    preview = upload(clerk_client, draft, "sku,quantity,unit_cost\nSKU-HAMMER,11,2.50\nSKU-NAILS,5,1\n")

    confirm(clerk_client, draft, preview)
    purchasing.set_lines(user=draft.created_by, order=draft, lines=[])  # anything the second confirm would redo
    again = confirm(clerk_client, draft, preview)

    assert "was already imported" in text(again)
    assert lines_of(draft) == {}


def test_a_po_in_another_warehouse_is_not_found(client, warehouse_b, draft):
    outsider = UserFactory(username="clerk_b", roles=[CLERK])
    grant(outsider, "operate_stock", warehouse_b)
    client.force_login(outsider)

    assert client.get(import_url(draft)).status_code == 404
    assert upload(client, draft, "sku,quantity,unit_cost\nSKU-HAMMER,1,1\n").status_code == 404
    assert client.get(reverse("admin:inventory_purchaseorder_po_lines_template", args=[draft.pk])).status_code == 404
    assert len(lines_of(draft)) == 1


def test_a_viewer_who_may_not_edit_lines_cannot_import_them(client, report_viewer, draft):
    client.force_login(report_viewer)

    assert client.get(import_url(draft)).status_code in (403, 404)
    assert upload(client, draft, "sku,quantity,unit_cost\nSKU-HAMMER,1,1\n").status_code in (403, 404)
    assert lines_of(draft)["SKU-HAMMER"][0] == Decimal("10")


def test_the_engine_refuses_a_po_outside_the_users_warehouses(warehouse_b, draft):
    outsider = UserFactory(username="clerk_b", roles=[CLERK])
    grant(outsider, "operate_stock", warehouse_b)
    data = b"sku,quantity,unit_cost\nSKU-HAMMER,1,1\n"

    with pytest.raises(ImportFileError, match="No purchase order matches"):
        preview_import("po_lines", data, user=outsider, document=draft.pk)
    with pytest.raises(ImportFileError, match="No purchase order matches"):
        apply_import("po_lines", data, user=outsider, document=draft.pk)
    assert lines_of(draft)["SKU-HAMMER"][0] == Decimal("10")


def test_a_large_file_runs_as_a_job_that_imports_into_the_same_po(clerk_client, draft, nails, settings):
    settings.STOCKROOM_BACKGROUND_ROWS = 1
    preview = upload(clerk_client, draft, "sku,quantity,unit_cost\nSKU-HAMMER,11,2.50\nSKU-NAILS,5,1\n")

    done = confirm(clerk_client, draft, preview)

    job = DataJob.objects.get()
    assert job.spec["document"] == draft.pk
    assert job.title == f"Import of lines.csv into {draft.number}"
    assert "running in the background" in text(done)
    assert set(lines_of(draft)) == {"SKU-HAMMER"}
    run_import.call(job.pk)  # what the worker does once the confirm has committed
    job.refresh_from_db()
    assert job.status == DataJob.Status.DONE
    assert lines_of(draft) == {"SKU-HAMMER": (Decimal("11"), Decimal("2.5")), "SKU-NAILS": (Decimal("5"), Decimal("1"))}


def test_a_line_edited_after_the_preview_is_not_overwritten(clerk_client, clerk, draft, hammer):
    preview = upload(clerk_client, draft, "sku,quantity,unit_cost\nSKU-HAMMER,12,2.50\n")
    purchasing.set_lines(user=clerk, order=draft, lines=[(hammer, 11, "2.50")])

    done = confirm(clerk_client, draft, preview)

    assert "The data changed since the preview" in text(done)
    assert lines_of(draft)["SKU-HAMMER"][0] == Decimal("11")
    assert done.context["change_table"]["rows"][0][4] == "11 → 12"
