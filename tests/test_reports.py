"""The four reports: figures on small hand-made data, scope, permissions, permalinks, exports."""

import io
import json
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from inventory import services
from inventory.models import DataJob, StockLevel
from inventory.reports import MovementLedgerReport, ReorderSuggestionsReport, StockOnHandReport, ValuationReport
from inventory.reports.stock import suggested_order
from inventory.roles import CLERK, REPORT_VIEWER
from tests.factories import CategoryFactory, ProductFactory, SupplierFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

STOCK_URL = "admin:report_stock_on_hand"


def days_ago(days: int, hour: int = 10):
    day = timezone.localdate() - timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def stock(superuser, warehouse_a, warehouse_b):
    """Two products in A (one low), one product in B, posted through the services."""
    tools = CategoryFactory(name="Tools")
    hand_tools = CategoryFactory(name="Hand tools", parent=tools)
    paint = CategoryFactory(name="Paint")
    acme = SupplierFactory(code="ACME", name="Acme", lead_time_days=9)
    hammer = ProductFactory(
        sku="HAMMER",
        name="Hammer",
        category=hand_tools,
        default_supplier=acme,
        reorder_point=Decimal("5"),
        reorder_quantity=Decimal("20"),
    )
    drill = ProductFactory(sku="DRILL", name="Drill", category=tools, reorder_point=Decimal("2"))
    bucket = ProductFactory(sku="BUCKET", name="=cmd|' /C calc'!A0", category=paint, reorder_point=Decimal("1"))
    services.receive(
        user=superuser, product=hammer, warehouse=warehouse_a, quantity=10, unit_cost="2.00", at=days_ago(3)
    )
    services.issue(user=superuser, product=hammer, warehouse=warehouse_a, quantity=7, at=days_ago(2))
    services.receive(
        user=superuser, product=drill, warehouse=warehouse_a, quantity=4, unit_cost="50.00", at=days_ago(2)
    )
    services.receive(
        user=superuser, product=bucket, warehouse=warehouse_b, quantity=100, unit_cost="1.00", at=days_ago(2)
    )
    return {
        "hammer": hammer,
        "drill": drill,
        "bucket": bucket,
        "tools": tools,
        "hand_tools": hand_tools,
        "paint": paint,
        "acme": acme,
    }


def page_rows(client, name, **params):
    response = client.get(reverse(f"admin:report_{name}"), params)
    assert response.status_code == 200
    return response.context["page"].rows, response


# --- stock on hand ---------------------------------------------------------------------------------


def test_stock_on_hand_lists_each_product_per_warehouse_with_value_and_totals(superuser, stock):
    report = StockOnHandReport(superuser, {})
    rows = report.page().rows
    assert [(row[0], row[3], row[4], row[8]) for row in rows] == [
        ("BUCKET", "B", Decimal("100.000"), Decimal("100.00")),
        ("DRILL", "A", Decimal("4.000"), Decimal("200.00")),
        ("HAMMER", "A", Decimal("3.000"), Decimal("6.00")),
    ]
    totals = report.totals()
    assert totals[0] == "Total (3 rows)"
    assert totals[4] == Decimal("107.000")
    assert totals[8] == Decimal("306.00")


def test_stock_on_hand_category_filter_includes_sub_categories(superuser, stock):
    rows = StockOnHandReport(superuser, {"category": str(stock["tools"].pk)}).page().rows
    assert {row[0] for row in rows} == {"HAMMER", "DRILL"}


def test_stock_on_hand_filters_by_supplier_and_below_reorder_point(superuser, stock):
    assert [r[0] for r in StockOnHandReport(superuser, {"supplier": str(stock["acme"].pk)}).page().rows] == ["HAMMER"]
    assert [r[0] for r in StockOnHandReport(superuser, {"below_reorder_point": "on"}).page().rows] == ["HAMMER"]


def test_stock_on_hand_sorts_by_a_whitelisted_column_and_ignores_others(superuser, stock):
    by_value = StockOnHandReport(superuser, {"sort": "-value"}).page().rows
    assert [row[0] for row in by_value] == ["DRILL", "BUCKET", "HAMMER"]
    injected = StockOnHandReport(superuser, {"sort": "product__supplier__password"}).page().rows
    assert [row[0] for row in injected] == ["BUCKET", "DRILL", "HAMMER"]


def test_manager_of_a_never_sees_b_in_stock_report_even_when_asking_for_it(client, manager, stock, warehouse_b):
    client.force_login(manager)
    rows, response = page_rows(client, "stock_on_hand")
    assert {row[3] for row in rows} == {"A"}
    assert "BUCKET" not in response.content.decode()
    rows, response = page_rows(client, "stock_on_hand", warehouse=warehouse_b.pk)
    assert rows == []
    assert "warehouse" in response.context["form"].errors


@pytest.mark.parametrize("name", ["stock_on_hand", "reorder_suggestions", "stock_valuation", "movement_ledger"])
@pytest.mark.parametrize("forged", ["other", "missing"])
def test_report_asked_for_another_warehouse_says_so_and_shows_nothing(
    client, report_viewer, stock, warehouse_b, name, forged
):
    sent = warehouse_b.pk if forged == "other" else 999_999
    client.force_login(report_viewer)

    rows, response = page_rows(client, name, warehouse=sent)
    exported = client.get(reverse(f"admin:report_{name}"), {"warehouse": sent, "export": "csv"})

    assert rows == []
    html = response.content.decode()
    assert f"Warehouse {sent} is not one of yours. Showing nothing." in html
    assert "BUCKET" not in html and "HAMMER" not in html
    assert exported["Content-Type"].startswith("text/html")
    assert f"Warehouse {sent} is not one of yours. Showing nothing." in exported.content.decode()


def test_report_pages_without_counting_and_links_to_the_next_page(admin_client, stock):
    from inventory.reports import base

    base_size = StockOnHandReport.page_size
    StockOnHandReport.page_size = 2
    try:
        rows, response = page_rows(admin_client, "stock_on_hand")
        assert len(rows) == 2 and response.context["next_url"] == "?page=2"
        rows, response = page_rows(admin_client, "stock_on_hand", page=2)
        assert [row[0] for row in rows] == ["HAMMER"] and response.context["next_url"] == ""
    finally:
        StockOnHandReport.page_size = base_size
    assert base.PAGE_SIZE == 50


def test_report_permalink_keeps_filters_and_sort_in_the_query_string(admin_client, stock):
    _, response = page_rows(
        admin_client, "stock_on_hand", warehouse=stock["hammer"].stock_levels.get().warehouse_id, sort="-value"
    )
    permalink = response.context["permalink"]
    assert "sort=-value" in permalink and "warehouse=" in permalink
    headers = {header["label"]: header for header in response.context["headers"]}
    assert headers["Value"]["sorted"] == "desc" and "sort=value" in headers["Value"]["url"]


# --- reorder suggestions ---------------------------------------------------------------------------


def test_suggested_order_rounds_reorder_quantity_up_to_cover_the_shortfall():
    assert suggested_order(Decimal("2"), Decimal("20")) == Decimal("20")
    assert suggested_order(Decimal("0"), Decimal("20")) == Decimal("20")
    assert suggested_order(Decimal("45"), Decimal("20")) == Decimal("60")
    assert suggested_order(Decimal("7"), Decimal("0")) == Decimal("7")


def test_reorder_suggestions_show_low_rows_with_supplier_and_lead_time(superuser, stock):
    rows = ReorderSuggestionsReport(superuser, {}).page().rows
    assert rows == [
        (
            "A",
            "HAMMER",
            "Hammer",
            Decimal("3.000"),
            Decimal("5.000"),
            Decimal("2.000"),
            Decimal("0.000"),
            Decimal("20.000"),
            Decimal("20.000"),
            "ACME — Acme",
            9,
        )
    ]


# --- valuation -----------------------------------------------------------------------------------


def test_valuation_reproduces_yesterday_after_movements_posted_today(superuser, stock, warehouse_a):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    before = ValuationReport(superuser, {"as_of": yesterday})
    expected = before.groups()
    assert expected == [
        ("A", "Tools", Decimal("4.000"), Decimal("200.00")),
        ("A", "Tools/Hand tools", Decimal("3.000"), Decimal("6.00")),
        ("B", "Paint", Decimal("100.000"), Decimal("100.00")),
    ]
    services.receive(user=superuser, product=stock["hammer"], warehouse=warehouse_a, quantity=10, unit_cost="5.00")
    services.issue(user=superuser, product=stock["drill"], warehouse=warehouse_a, quantity=4)
    assert ValuationReport(superuser, {"as_of": yesterday}).groups() == expected
    today = ValuationReport(superuser, {}).groups()
    assert today == [
        ("A", "Tools/Hand tools", Decimal("13.000"), Decimal("56.00")),
        ("B", "Paint", Decimal("100.000"), Decimal("100.00")),
    ]


def test_valuation_before_any_receipt_is_empty_and_three_days_ago_counts_only_that_day(superuser, stock):
    assert ValuationReport(superuser, {"as_of": (timezone.localdate() - timedelta(days=5)).isoformat()}).groups() == []
    groups = ValuationReport(superuser, {"as_of": (timezone.localdate() - timedelta(days=3)).isoformat()}).groups()
    assert groups == [("A", "Tools/Hand tools", Decimal("10.000"), Decimal("20.00"))]


def test_valuation_totals_by_warehouse_category_and_grand_total(superuser, stock):
    report = ValuationReport(superuser, {"as_of": (timezone.localdate() - timedelta(days=1)).isoformat()})
    by_warehouse, by_category = report.summaries()
    assert by_warehouse.rows == [
        ("A", Decimal("7.000"), Decimal("206.00")),
        ("B", Decimal("100.000"), Decimal("100.00")),
    ]
    assert [row[0] for row in by_category.rows] == ["Paint", "Tools", "Tools/Hand tools"]
    assert report.totals() == ("Grand total", "", Decimal("107.000"), Decimal("306.00"))


def test_valuation_is_scoped_and_filtered_by_category(manager, superuser, stock):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert {g[0] for g in ValuationReport(manager, {"as_of": yesterday}).groups()} == {"A"}
    assert {g[0] for g in ValuationReport(manager, {}).groups()} == {"A"}
    hand_tools = ValuationReport(superuser, {"as_of": yesterday, "category": str(stock["hand_tools"].pk)}).groups()
    assert hand_tools == [("A", "Tools/Hand tools", Decimal("3.000"), Decimal("6.00"))]


# --- movement ledger -------------------------------------------------------------------------------


def test_ledger_lists_movements_in_range_newest_first_and_filters_by_kind(superuser, stock):
    rows = MovementLedgerReport(superuser, {}).page().rows
    assert [(row[1], row[2]) for row in rows][-1] == ("Receipt", "HAMMER")
    assert len(rows) == 4
    issues = MovementLedgerReport(superuser, {"kind": "issue"}).page().rows
    assert [(row[2], row[5]) for row in issues] == [("HAMMER", Decimal("-7.000"))]
    narrow = MovementLedgerReport(
        superuser,
        {
            "date_from": (timezone.localdate() - timedelta(days=3)).isoformat(),
            "date_to": (timezone.localdate() - timedelta(days=3)).isoformat(),
        },
    )
    assert [row[2] for row in narrow.page().rows] == ["HAMMER"]


def test_ledger_running_balance_for_one_product_spans_warehouses_and_earlier_lines(superuser, stock, warehouse_b):
    hammer = stock["hammer"]
    services.transfer(
        user=superuser,
        product=hammer,
        source=hammer.stock_levels.get().warehouse,
        destination=warehouse_b,
        quantity=1,
        at=days_ago(1),
    )
    report = MovementLedgerReport(superuser, {"product": "hammer", "sort": "date"})
    assert [column.label for column in report.columns][8] == "Running balance"
    assert [(row[1], row[8]) for row in report.page().rows] == [
        ("Receipt", Decimal("10.000")),
        ("Issue", Decimal("3.000")),
        ("Transfer out", Decimal("2.000")),
        ("Transfer in", Decimal("3.000")),
    ]
    since_yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    later = MovementLedgerReport(superuser, {"product": "HAMMER", "sort": "date", "date_from": since_yesterday})
    assert [row[8] for row in later.page().rows] == [Decimal("2.000"), Decimal("3.000")]


def test_ledger_rejects_unknown_sku_and_reversed_dates_with_messages(admin_client, stock):
    _, response = page_rows(
        admin_client, "movement_ledger", product="nope", date_from="2030-01-02", date_to="2030-01-01"
    )
    errors = response.context["form"].errors
    assert errors["product"] == ["No product with SKU NOPE."]
    assert errors["date_from"] == ["The start date is after the end date."]


def test_ledger_is_scoped_to_the_viewer(client, report_viewer, stock):
    client.force_login(report_viewer)
    rows, _ = page_rows(client, "movement_ledger")
    assert {row[4] for row in rows} == {"A"}


def test_ledger_posted_by_offers_only_people_who_posted_in_the_viewers_warehouses(
    client, report_viewer, superuser, stock, warehouse_b
):
    bravo_clerk = UserFactory(username="bravo_clerk", roles=[CLERK])
    grant(bravo_clerk, "operate_stock", warehouse_b)
    services.receive(user=bravo_clerk, product=stock["bucket"], warehouse=warehouse_b, quantity=1, unit_cost=1)
    client.force_login(report_viewer)

    _, response = page_rows(client, "movement_ledger")
    forged = client.get(reverse("admin:report_movement_ledger"), {"user": bravo_clerk.pk})

    page = response.content.decode()
    assert f'<option value="{superuser.pk}">{superuser.username}</option>' in page
    assert "bravo_clerk" not in page
    assert "Select a valid choice" in forged.content.decode()
    assert forged.context["page"].rows == []


def test_superuser_is_offered_every_poster_in_the_ledger(admin_client, stock):
    never_posted = UserFactory(username="never_posted")

    _, response = page_rows(admin_client, "movement_ledger")

    assert f'<option value="{never_posted.pk}">never_posted</option>' in response.content.decode()


# --- permissions, empty states ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["stock_on_hand", "stock_valuation", "movement_ledger"])
def test_clerk_without_report_permission_cannot_open_reports(client, clerk, name):
    # Reorder suggestions are open to those who draft purchase orders (test_purchasing_reorder).
    client.force_login(clerk)
    assert client.get(reverse(f"admin:report_{name}")).status_code == 403


def test_reports_appear_in_sidebar_only_for_report_roles(client, clerk, report_viewer):
    client.force_login(report_viewer)
    assert reverse(STOCK_URL) in client.get(reverse("admin:index")).content.decode()
    client.force_login(clerk)
    assert reverse(STOCK_URL) not in client.get(reverse("admin:index")).content.decode()


def test_viewer_without_export_permission_cannot_export(client, warehouse_a, stock):
    from django.contrib.auth.models import Permission

    user = UserFactory(username="looker")
    user.user_permissions.add(Permission.objects.get(codename="view_reports"))
    client.force_login(user)
    response = client.get(reverse(STOCK_URL), {"export": "csv"})
    assert response.status_code == 403


def test_report_for_user_without_warehouse_says_so(client, stock):
    user = UserFactory(username="nowhere", roles=[REPORT_VIEWER])
    client.force_login(user)
    for name in ["stock_on_hand", "reorder_suggestions", "stock_valuation", "movement_ledger"]:
        rows, response = page_rows(client, name)
        assert rows == []
        assert "You have no warehouse to report on yet" in response.content.decode()


def test_report_with_no_matching_rows_shows_an_empty_state(admin_client, stock):
    _, response = page_rows(admin_client, "movement_ledger", kind="adjustment")
    assert "Nothing matches these filters" in response.content.decode()


# --- exports ---------------------------------------------------------------------------------------


def test_manager_exports_stock_report_as_xlsx_with_only_their_rows(client, manager, stock):
    client.force_login(manager)
    response = client.get(reverse(STOCK_URL), {"export": "xlsx", "sort": "sku"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("SKU", "Product", "Category", "Warehouse", "On hand")
    assert [(row[0], row[3], row[4]) for row in rows[1:]] == [("DRILL", "A", 4), ("HAMMER", "A", 3)]


def test_export_is_the_whole_filtered_result_not_the_page(admin_client, stock):
    StockOnHandReport.page_size = 1
    try:
        response = admin_client.get(reverse(STOCK_URL), {"export": "csv", "category": stock["tools"].pk})
    finally:
        StockOnHandReport.page_size = 50
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert [line.split(",")[0] for line in text.splitlines()] == ["SKU", "DRILL", "HAMMER"]


def test_export_escapes_formulas_in_csv_and_json(admin_client, stock):
    csv_text = b"".join(admin_client.get(reverse(STOCK_URL), {"export": "csv"}).streaming_content).decode()
    assert "'=cmd" in csv_text
    records = json.loads(b"".join(admin_client.get(reverse(STOCK_URL), {"export": "json"}).streaming_content))
    assert records[0]["Product"].startswith("'=")


def test_ledger_and_valuation_export_as_csv(admin_client, stock):
    ledger = admin_client.get(reverse("admin:report_movement_ledger"), {"export": "csv", "kind": "issue"})
    assert b"".join(ledger.streaming_content).decode("utf-8-sig").splitlines()[1].split(",")[2] == "HAMMER"
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    valuation = admin_client.get(reverse("admin:report_stock_valuation"), {"export": "csv", "as_of": yesterday})
    lines = b"".join(valuation.streaming_content).decode("utf-8-sig").splitlines()
    assert lines == [
        "Warehouse,Category,Quantity,Value",
        "A,Tools,4.000,200.00",
        "A,Tools/Hand tools,3.000,6.00",
        "B,Paint,100.000,100.00",
    ]


def test_large_export_runs_as_a_background_job_in_scope(client, manager, stock, settings):
    settings.STOCKROOM_BACKGROUND_ROWS = 1
    client.force_login(manager)
    response = client.get(reverse(STOCK_URL), {"export": "csv"})
    job = DataJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("admin:inventory_datajob_change", args=[job.pk])
    assert job.spec == {"exporter": "report.stock_on_hand", "params": {}}
    from inventory.tasks import run_export

    run_export.call(job.pk)
    job.refresh_from_db()
    assert job.status == DataJob.Status.DONE
    lines = job.result.read().decode("utf-8-sig").splitlines()
    assert sorted(line.split(",")[3] for line in lines[1:]) == ["A", "A"]


def test_clerk_role_has_no_report_permission():
    clerk = UserFactory(username="c2", roles=[CLERK])
    assert not clerk.has_perm("inventory.view_reports")
    assert StockLevel.objects.count() == 0


def test_reorder_suggestions_offer_no_filter_that_changes_nothing(admin_client, stock):
    """Every suggestion is already at or below its reorder point; the stock report keeps the checkbox."""
    suggestions = admin_client.get(reverse("admin:report_reorder_suggestions")).content.decode()
    on_hand = admin_client.get(reverse("admin:report_stock_on_hand")).content.decode()
    assert "Only at or below reorder point" not in suggestions
    assert "Only at or below reorder point" in on_hand


@pytest.mark.parametrize("name", ["stock_on_hand", "reorder_suggestions", "stock_valuation", "movement_ledger"])
def test_every_report_page_renders_its_rows(admin_client, stock, name):
    rows, response = page_rows(admin_client, name, as_of=(timezone.localdate() - timedelta(days=1)).isoformat())
    assert rows, name
    assert b'class="report-row"' in response.content
