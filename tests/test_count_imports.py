"""Importing counts into a stocktake session from a file: preview, entries by the importer, errors, once, in scope."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from inventory.imports import ImportFileError, apply_import, preview_import
from inventory.models import CountEntry, StockCountLine
from inventory.roles import CLERK
from inventory.services import DomainError, counts, stock
from tests.factories import ProductFactory, SuperuserFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def stocked(db, warehouse_a, warehouse_b):
    user = SuperuserFactory(username="stocker")
    hammer = ProductFactory(sku="SKU-HAMMER", name="Hammer")
    rope = ProductFactory(sku="SKU-ROPE", name="Rope", unit="kg")
    drill = ProductFactory(sku="SKU-DRILL", name="Drill")
    for product, quantity in ((hammer, 10), (rope, 4)):
        stock.receive(user=user, product=product, warehouse=warehouse_a, quantity=quantity, unit_cost="2.5")
    stock.receive(user=user, product=drill, warehouse=warehouse_b, quantity=3, unit_cost="2.5")
    return hammer, rope, drill


@pytest.fixture
def session(manager, warehouse_a, stocked):
    return counts.open_count(user=manager, warehouse=warehouse_a)


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


def import_url(count) -> str:
    return reverse("admin:inventory_stockcount_import_counts", args=[count.pk])


def text(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def upload(client, count, content: str, name: str = "counts.csv"):
    file = io.BytesIO(content.encode())
    file.name = name
    return client.post(import_url(count), {"file": file})


def confirm(client, count, response):
    return client.post(import_url(count), {"token": response.context["token"]}, follow=True)


def counted(count) -> dict[str, Decimal | None]:
    lines = StockCountLine.objects.filter(count=count).with_counted().select_related("product")
    return {line.product.sku: line.counted for line in lines}


def test_a_clerk_previews_expected_current_and_new_counts_then_records_them_as_entries(
    clerk_client, clerk, manager, session, stocked
):
    hammer = stocked[0]
    counts.record_entry(user=manager, count=session, code="SKU-HAMMER", quantity=7)

    preview = upload(clerk_client, session, "sku,counted\nSKU-HAMMER,9\nSKU-ROPE,3.5\n")

    assert preview.context["change_table"] == {
        "headers": ["Row", "SKU", "Product", "Expected", "Counted now", "New counted"],
        "rows": [[2, "SKU-HAMMER", "Hammer", "10", "7", "9"], [3, "SKU-ROPE", "Rope", "4", "—", "3.5"]],
    }
    assert f"Import counts into {session.number}" in text(preview)
    assert counted(session) == {"SKU-HAMMER": Decimal("7"), "SKU-ROPE": None}

    done = confirm(clerk_client, session, preview)

    assert f"Imported counts.csv into {session.number}: 1 new, 1 updated, 0 unchanged." in text(done)
    assert counted(session) == {"SKU-HAMMER": Decimal("9"), "SKU-ROPE": Decimal("3.5")}
    imported = CountEntry.objects.filter(line__count=session, counted_by=clerk)
    assert sorted(imported.values_list("quantity", flat=True)) == [Decimal("2"), Decimal("3.5")]
    assert {entry.history_user for entry in CountEntry.history.filter(line__product=hammer, quantity=2)} == {clerk}
    totals = counts.review_totals(session)
    assert (totals.counted, totals.with_difference) == (2, 2)


def test_a_blind_session_preview_never_shows_the_expected_quantities(clerk_client, manager, warehouse_a, stocked):
    blind = counts.open_count(user=manager, warehouse=warehouse_a, is_blind=True)

    preview = upload(clerk_client, blind, "sku,counted\nSKU-HAMMER,9\n")

    table = preview.context["change_table"]
    assert "Expected" not in table["headers"]
    assert table["rows"] == [[2, "SKU-HAMMER", "Hammer", "—", "9"]]
    assert "10" not in [cell for row in table["rows"] for cell in row]


def test_every_problem_shows_at_once_and_nothing_is_recorded(clerk_client, session):
    rows = [
        "sku,counted",
        "SKU-NOPE,1",  # 2
        "SKU-DRILL,1",  # 3: stocked in B only, so not part of a count of A
        "SKU-HAMMER,-2",  # 4
        "SKU-ROPE,lots",  # 5
        "SKU-HAMMER,2.5",  # 6: the second SKU-HAMMER
        "SKU-ROPE,1",  # 7: the second SKU-ROPE
    ]

    preview = upload(clerk_client, session, "\n".join(rows) + "\n")
    fractions = upload(clerk_client, session, "sku,counted\nSKU-HAMMER,2.5\n")

    problems = {(row, column): message for row, column, message in preview.context["error_table"]["rows"]}
    assert problems[(2, "sku")] == "SKU SKU-NOPE does not exist."
    assert problems[(3, "sku")] == f"SKU-DRILL is not part of {session.number} (all products)."
    assert "cannot be negative" in problems[(4, "counted")]
    assert "“lots” is not a number" in problems[(5, "counted")]
    assert problems[(6, "sku")] == "SKU-HAMMER appears more than once in the file (first on row 4)."
    assert problems[(7, "sku")] == "SKU-ROPE appears more than once in the file (first on row 5)."
    assert fractions.context["error_table"]["rows"] == [
        [2, "counted", "SKU-HAMMER is counted in whole units (each); got 2.5."]
    ]
    assert preview.context["token"] == ""
    assert not CountEntry.objects.filter(line__count=session).exists()


@pytest.mark.parametrize("step", ["post", "cancel"])
def test_a_posted_or_cancelled_session_takes_no_import(clerk_client, manager, session, step):
    if step == "cancel":
        counts.cancel_count(user=manager, count=session)
        state = "cancelled"
    else:
        counts.start_review(user=manager, count=session)
        approver = UserFactory(username="approver", roles=["Warehouse manager"])
        grant(approver, "manage_stock", session.warehouse)
        counts.post_count(user=approver, count=session, submission_key="k")
        state = "posted"

    page = clerk_client.get(import_url(session))
    preview = upload(clerk_client, session, "sku,counted\nSKU-HAMMER,9\n")

    refusal = f"{session.number} is {state}; counts can no longer be imported into it."
    assert refusal in text(page) and refusal in text(preview)
    assert not CountEntry.objects.filter(line__count=session).exists()
    change_page = clerk_client.get(reverse("admin:inventory_stockcount_change", args=[session.pk]))
    assert import_url(session) not in change_page.content.decode()


def test_the_count_page_offers_import_counts_and_its_template(clerk_client, session):
    change_page = clerk_client.get(reverse("admin:inventory_stockcount_change", args=[session.pk]))
    template = clerk_client.get(reverse("admin:inventory_stockcount_count_entries_template", args=[session.pk]))

    assert import_url(session) in change_page.content.decode()
    assert template.content.decode("utf-8-sig").splitlines() == ["sku,counted", "SKU-0001,12"]


def test_a_repeated_confirm_records_the_entries_once(clerk_client, session):
    preview = upload(clerk_client, session, "sku,counted\nSKU-HAMMER,9\nSKU-ROPE,4\n")

    confirm(clerk_client, session, preview)
    again = confirm(clerk_client, session, preview)

    assert "was already imported" in text(again)
    assert CountEntry.objects.filter(line__count=session).count() == 2
    assert counted(session) == {"SKU-HAMMER": Decimal("9"), "SKU-ROPE": Decimal("4")}


def test_a_scan_made_after_the_preview_is_never_overwritten(clerk_client, manager, session):
    counts.record_entry(user=manager, count=session, code="SKU-HAMMER", quantity=7)
    preview = upload(clerk_client, session, "sku,counted\nSKU-HAMMER,9\n")
    counts.record_entry(user=manager, count=session, code="SKU-HAMMER", quantity=1)

    done = confirm(clerk_client, session, preview)

    assert "The data changed since the preview" in text(done)
    assert counted(session)["SKU-HAMMER"] == Decimal("8")
    assert done.context["change_table"]["rows"] == [[2, "SKU-HAMMER", "Hammer", "10", "8", "9"]]


def test_the_bulk_service_refuses_a_line_counted_since_it_was_read(manager, clerk, session):
    line = StockCountLine.objects.get(count=session, product__sku="SKU-HAMMER")
    counts.record_entry(user=manager, count=session, code="SKU-HAMMER", quantity=1)

    with pytest.raises(DomainError, match="SKU-HAMMER was counted on .* since the preview"):
        counts.set_counted_lines(user=clerk, count=session, counted={line.pk: 9}, counted_before={line.pk: None})
    assert counted(session)["SKU-HAMMER"] == Decimal("1")


def test_a_session_in_another_warehouse_is_not_found(client, warehouse_b, session):
    outsider = UserFactory(username="clerk_b", roles=[CLERK])
    grant(outsider, "operate_stock", warehouse_b)
    client.force_login(outsider)
    data = b"sku,counted\nSKU-HAMMER,9\n"

    assert client.get(import_url(session)).status_code == 404
    assert upload(client, session, data.decode()).status_code == 404
    assert (
        client.get(reverse("admin:inventory_stockcount_count_entries_template", args=[session.pk])).status_code == 404
    )
    with pytest.raises(ImportFileError, match="No stock count matches"):
        preview_import("count_entries", data, user=outsider, document=session.pk)
    with pytest.raises(ImportFileError, match="No stock count matches"):
        apply_import("count_entries", data, user=outsider, document=session.pk)
    assert not CountEntry.objects.filter(line__count=session).exists()


def test_a_viewer_who_may_not_count_cannot_import_counts(client, report_viewer, session):
    client.force_login(report_viewer)

    assert client.get(import_url(session)).status_code in (403, 404)
    assert upload(client, session, "sku,counted\nSKU-HAMMER,9\n").status_code in (403, 404)
    assert not CountEntry.objects.filter(line__count=session).exists()
