"""Stock counts in the admin: opening one, the scan page, the review with its grid, posting once, and scope."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from inventory.models import CountEntry, StockCount, StockLevel, StockMovement
from inventory.roles import MANAGER
from inventory.services import counts, stock
from inventory.services.submissions import new_submission_key
from tests.factories import ProductFactory, SuperuserFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(db, warehouse_a, warehouse_b):
    user = SuperuserFactory(username="stocker")
    hammer = ProductFactory(sku="SKU-HAMMER", name="Hammer", barcode="4000001")
    saw = ProductFactory(sku="SKU-SAW", name="Saw", barcode="4000002")
    for product, quantity in ((hammer, 10), (saw, 4)):
        stock.receive(user=user, product=product, warehouse=warehouse_a, quantity=quantity, unit_cost="2.5")
    stock.receive(user=user, product=hammer, warehouse=warehouse_b, quantity=3, unit_cost="2.5")
    return hammer, saw


@pytest.fixture
def session(manager, warehouse_a, stocked):
    return counts.open_count(user=manager, warehouse=warehouse_a)


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


@pytest.fixture
def approver_client(client, warehouse_a):
    user = UserFactory(username="manager_two", roles=[MANAGER])
    grant(user, "manage_stock", warehouse_a)
    client.force_login(user)
    return client


def url(name: str, *args) -> str:
    return reverse(f"admin:inventory_stockcount_{name}", args=args)


def scan_data(code, quantity="", key=None) -> dict:
    """A scan as the page posts it: the code, the quantity and a key of its own (a new one unless given)."""
    return {"code": code, "quantity": quantity, "submission_key": new_submission_key() if key is None else key}


def text(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def key_of(client, path) -> str:
    return client.get(path).context["form"].initial["submission_key"]


def test_a_manager_opens_a_count_from_the_add_page(client, manager, warehouse_a, stocked):
    client.force_login(manager)

    response = client.post(url("add"), {"warehouse": warehouse_a.pk, "category": "", "bin_prefix": ""})

    count = StockCount.objects.get()
    assert response.status_code == 302 and response.url == url("change", count.pk)
    assert count.lines.count() == 2 and count.created_by == manager
    assert count.number in text(client.get(url("changelist")))


def test_a_manager_may_freeze_postings_while_counting_and_the_page_says_so(client, manager, warehouse_a, stocked):
    client.force_login(manager)
    form = text(client.get(url("add")))

    client.post(url("add"), {"warehouse": warehouse_a.pk, "bin_prefix": "", "freezes_postings": "on"})

    count = StockCount.objects.get()
    assert "Freeze postings" in form and "Off: the warehouse keeps working" in form
    assert count.freezes_postings
    assert "Freeze postings" in text(client.get(url("change", count.pk)))


def test_opening_a_count_of_nothing_stocked_is_refused_on_the_form(client, manager, warehouse_a, stocked):
    client.force_login(manager)

    response = client.post(url("add"), {"warehouse": warehouse_a.pk, "bin_prefix": "ZZ"})

    assert "Nothing is stocked in A for this scope" in text(response)
    assert not StockCount.objects.exists()


def test_the_scan_page_adds_one_per_scan_and_shows_the_last_scanned(clerk_client, session):
    page = clerk_client.get(url("scan_count", session.pk))
    assert page.status_code == 200
    assert "autofocus" in page.content.decode()

    first = clerk_client.post(url("scan_count", session.pk), scan_data("4000001"))
    clerk_client.post(url("scan_count", session.pk), scan_data("SKU-HAMMER", "4"))

    assert first.status_code == 302
    shown = text(clerk_client.get(url("scan_count", session.pk)))
    assert "SKU-HAMMER — Hammer 4 clerk_a" in shown
    assert sorted(CountEntry.objects.values_list("quantity", flat=True)) == [1, 4]


def test_an_unknown_code_flashes_an_error_and_writes_nothing(clerk_client, session):
    response = clerk_client.post(url("scan_count", session.pk), scan_data("NOPE-42"))

    assert response.status_code == 422
    assert "No product has the barcode or SKU “NOPE-42”." in text(response)
    assert "scan-flash-error" in response.content.decode()
    assert not CountEntry.objects.exists()


def test_the_review_shows_expected_counted_difference_and_value_with_filters(approver_client, clerk, session):
    counts.record_entry(user=clerk, count=session, code="4000001", quantity=8)

    everything = text(approver_client.get(url("review_count", session.pk)))
    differences = approver_client.get(url("review_count", session.pk), {"show": "differences"})
    uncounted = approver_client.get(url("review_count", session.pk), {"show": "uncounted"})

    assert "SKU-HAMMER — Hammer 10 0 8 -2 -5.00" in everything
    assert "1 of 2 lines differ; 1 counted" in everything
    assert [line.product.sku for line in differences.context["page"]] == ["SKU-HAMMER"]
    assert [line.product.sku for line in uncounted.context["page"]] == ["SKU-SAW"]


def test_a_blind_count_never_shows_counters_the_expected_quantities(clerk_client, manager, warehouse_a, stocked):
    blind = counts.open_count(user=manager, warehouse=warehouse_a, is_blind=True)

    review = clerk_client.get(url("review_count", blind.pk))

    assert review.status_code == 200
    table = text(review).split("Download these lines", 1)[1].split("Back to the count", 1)[0]
    assert "Expected" not in table
    assert "Product Counted Set count SKU-HAMMER — Hammer — SKU-SAW — Saw — Save counts" in table
    assert "blind count" in text(review)


def test_the_grid_sets_counts(clerk_client, session):
    page = clerk_client.get(url("review_count", session.pk))
    lines = {line.product.sku: line for line in page.context["page"]}

    clerk_client.post(url("review_count", session.pk), {f"line-{lines['SKU-SAW'].pk}": "3"})

    assert StockCount.objects.get().lines.with_counted().get(product__sku="SKU-SAW").counted == 3


def test_posting_from_the_page_adjusts_stock_once(
    approver_client, client, manager, clerk, session, stocked, warehouse_a
):
    hammer, _ = stocked
    counts.record_entry(user=clerk, count=session, code="4000001", quantity=8)
    client.force_login(manager)
    client.post(url("start_review", session.pk), {"submission_key": key_of(client, url("start_review", session.pk))})
    session.refresh_from_db()
    assert session.state == "review"

    key = key_of(approver_client, url("post_count", session.pk))
    first = approver_client.post(url("post_count", session.pk), {"submission_key": key})
    again = approver_client.post(url("post_count", session.pk), {"submission_key": key}, follow=True)

    assert first.status_code == 302
    assert f"Posted {session.number}: 1 adjustment in A" in text(again)
    assert StockMovement.objects.filter(reference=session.number).count() == 1
    assert StockLevel.objects.get(product=hammer, warehouse=warehouse_a).on_hand == Decimal("8")


@pytest.mark.parametrize("view", ["change", "scan_count", "review_count", "start_review", "post_count", "cancel_count"])
def test_another_warehouses_count_is_not_found(client, warehouse_b, stocked, view):
    other = counts.open_count(user=SuperuserFactory(username="boss"), warehouse=warehouse_b)
    outsider = UserFactory(username="manager_a2", roles=[MANAGER])
    grant(outsider, "manage_stock", StockCount._meta.get_field("warehouse").related_model.objects.get(code="A"))
    client.force_login(outsider)

    shown = client.get(url(view, other.pk))
    posted = client.post(url(view, other.pk), {"submission_key": "forged", "code": "4000001"})

    assert (shown.status_code, posted.status_code) == (404, 404)
    other.refresh_from_db()
    assert other.state == "open" and not CountEntry.objects.exists()


def scan_by_fetch(client, count, code, quantity="", key=None):
    return client.post(
        url("scan_count", count.pk), scan_data(code, quantity, key), headers={"Accept": "application/json"}
    )


def test_the_same_scan_sent_twice_counts_once_and_answers_both_times(clerk_client, session):
    """A retry after a lost answer, or a double click, repeats the scan's key: the database takes it once."""
    first = scan_by_fetch(clerk_client, session, "SKU-HAMMER", "4", key="scan-key-1")
    again = scan_by_fetch(clerk_client, session, "SKU-HAMMER", "4", key="scan-key-1")
    form_again = clerk_client.post(url("scan_count", session.pk), scan_data("SKU-HAMMER", "4", "scan-key-1"))
    scan_by_fetch(clerk_client, session, "SKU-HAMMER", "4", key="scan-key-2")  # a second scan of the same code

    assert again.status_code == 200 and again.json() == first.json()
    assert form_again.status_code == 302
    assert sorted(CountEntry.objects.values_list("quantity", flat=True)) == [4, 4]


def test_a_scan_without_its_key_is_refused_and_writes_nothing(clerk_client, session):
    response = scan_by_fetch(clerk_client, session, "SKU-HAMMER", key="")

    assert response.status_code == 422
    assert response.json() == {"ok": False, "error": "This form has expired; reload the page and try again."}
    assert not CountEntry.objects.exists()


def test_a_scan_sent_by_the_pages_script_answers_json_with_the_lines_new_count(clerk_client, session):
    scan_by_fetch(clerk_client, session, "4000001")

    response = scan_by_fetch(clerk_client, session, "SKU-HAMMER", "4")

    assert response.status_code == 200
    answer = response.json()
    assert answer["ok"] is True
    assert answer["line"]["sku"] == "SKU-HAMMER" and answer["line"]["counted"] == "5"
    assert answer["entry"]["product"] == "SKU-HAMMER — Hammer" and answer["entry"]["quantity"] == "4"
    assert answer["entry"]["by"] == "clerk_a"
    assert answer["message"] == "+4 SKU-HAMMER — Hammer (5 counted)"
    assert sorted(CountEntry.objects.values_list("quantity", flat=True)) == [1, 4]
    # Nothing is left queued for the next page: the script showed the scan already.
    assert "SKU-HAMMER — Hammer (5 counted)" not in text(clerk_client.get(url("scan_count", session.pk)))


def test_an_unknown_code_sent_by_the_script_answers_the_error_as_json_and_writes_nothing(clerk_client, session):
    response = scan_by_fetch(clerk_client, session, "NOPE-42")

    assert response.status_code == 422
    assert response.json() == {"ok": False, "error": "No product has the barcode or SKU “NOPE-42”."}
    assert not CountEntry.objects.exists()


def test_a_fetched_scan_is_refused_without_the_csrf_token(clerk, session):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(clerk)

    response = scan_by_fetch(strict, session, "4000001")

    assert response.status_code == 403
    assert not CountEntry.objects.exists()


def test_a_fetched_scan_into_another_warehouses_count_is_not_found(client, warehouse_b, stocked, clerk):
    other = counts.open_count(user=SuperuserFactory(username="boss"), warehouse=warehouse_b)
    client.force_login(clerk)

    response = scan_by_fetch(client, other, "4000001")

    assert response.status_code == 404
    assert not CountEntry.objects.exists()


def download(client, count, fmt="csv", show=""):
    response = client.get(url("review_count", count.pk), {"show": show, "download": fmt})
    assert response.status_code == 200, response.status_code
    if fmt == "xlsx":
        import io

        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(response.getvalue()), read_only=True).active
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    import csv
    import io

    return list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))


def test_the_variance_report_downloads_the_reviewed_lines_as_raw_numbers(approver_client, clerk, session):
    from inventory.models import StockLevel as Level

    Level.objects.filter(product__sku="SKU-HAMMER").update(bin="A-01")
    counts.record_entry(user=clerk, count=session, code="4000001", quantity=8)
    review = text(approver_client.get(url("review_count", session.pk), {"show": "differences"}))
    assert "Download these lines: CSV XLSX" in review

    every = download(approver_client, session)
    differences = download(approver_client, session, "xlsx", show="differences")
    uncounted = download(approver_client, session, show="uncounted")

    header = [
        "SKU",
        "Product",
        "Bin",
        "Expected",
        "Moved since",
        "Counted",
        "Difference",
        "Unit cost",
        "Difference value",
    ]
    assert every[0] == header and [row[0] for row in every[1:]] == ["SKU-HAMMER", "SKU-SAW"]
    assert every[1][:3] == ["SKU-HAMMER", "Hammer", "A-01"]
    assert [Decimal(cell) for cell in every[1][3:]] == [10, 0, 8, -2, Decimal("2.5"), -5]
    assert differences[0] == header and len(differences) == 2
    assert differences[1][:3] == ["SKU-HAMMER", "Hammer", "A-01"] and differences[1][3:] == [10, 0, 8, -2, 2.5, -5]
    assert [row[0] for row in uncounted[1:]] == ["SKU-SAW"] and uncounted[1][5] == ""


def test_a_counter_of_a_blind_count_downloads_what_was_counted_never_the_expected(
    clerk_client, clerk, manager, warehouse_a, stocked
):
    blind = counts.open_count(user=manager, warehouse=warehouse_a, is_blind=True)
    counts.record_entry(user=clerk, count=blind, code="4000001", quantity=8)

    rows = download(clerk_client, blind)

    assert rows[0] == ["SKU", "Product", "Bin", "Counted", "Unit cost"]
    assert rows[1][:3] == ["SKU-HAMMER", "Hammer", ""] and [Decimal(cell) for cell in rows[1][3:]] == [
        8,
        Decimal("2.5"),
    ]
    assert not any("10" in cell for row in rows for cell in row)


def test_another_warehouses_variance_report_is_not_found(client, warehouse_b, stocked, manager):
    other = counts.open_count(user=SuperuserFactory(username="boss"), warehouse=warehouse_b)
    client.force_login(manager)

    assert client.get(url("review_count", other.pk), {"download": "csv"}).status_code == 404
