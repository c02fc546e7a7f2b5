"""Hostile numbers and uploads: every one is a sentence a clerk reads, never a 500, and nothing is written."""

import io
import resource
import time
import tracemalloc
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import Workbook

from inventory import services
from inventory.imports import ImportFileError, cells, preview_import
from inventory.imports.parsers import parse_file
from inventory.imports.resources import RESOURCES
from inventory.models import Category, Product, StockLevel, StockMovement
from inventory.roles import CATALOG_EDITOR
from tests.factories import ProductFactory, UserFactory

POST_URL = "admin:inventory_stockmovement_add"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def posting(product, warehouse, quantity, **extra) -> dict:
    return {
        "kind": "receipt",
        "product": product.pk if hasattr(product, "pk") else product,
        "warehouse": warehouse.pk,
        "quantity": quantity,
        "unit_cost": "1",
        "submission_key": f"k-{quantity}-{product}",
        **extra,
    }


# The posting form ---------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("quantity", ["99999999999.999", "100000000", "-99999999999.999"])
def test_a_quantity_beyond_what_stock_holds_is_a_form_error(client, clerk, warehouse_a, quantity):
    product = ProductFactory(sku="SKU-BIG")
    client.force_login(clerk)

    response = client.post(reverse(POST_URL), posting(product, warehouse_a, quantity))

    assert response.status_code == 200
    assert "Quantities are at most 99,999,999.999." in response.content.decode()
    assert not StockMovement.objects.exists()


@pytest.mark.django_db
def test_a_receipt_that_would_overflow_the_balance_is_refused_by_the_service(manager, warehouse_a):
    product = ProductFactory(sku="SKU-FULL")
    StockLevel.objects.create(product=product, warehouse=warehouse_a, on_hand=Decimal("99999999999"))

    with pytest.raises(services.DomainError, match="Stock on hand are at most 99,999,999,999.999"):
        services.receive(user=manager, product=product, warehouse=warehouse_a, quantity="99999999", unit_cost=1)
    assert not StockMovement.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("product_id", ["abc", "1e3", "99999999999999999999999", "-1"])
def test_a_product_id_that_is_not_an_id_is_a_form_error_not_a_500(client, clerk, warehouse_a, product_id):
    client.force_login(clerk)

    response = client.post(reverse(POST_URL), posting(product_id, warehouse_a, "1"))

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.django_db
def test_a_fraction_of_a_whole_unit_product_is_refused_in_the_form_and_the_service(client, clerk, warehouse_a):
    each = ProductFactory(sku="SKU-EACH", unit="ea")
    client.force_login(clerk)

    response = client.post(reverse(POST_URL), posting(each, warehouse_a, "2.5"))

    assert "SKU-EACH is counted in whole units (each); enter a whole number." in response.content.decode()
    with pytest.raises(services.DomainError, match="SKU-EACH is counted in whole units"):
        services.set_count(user=clerk, product=each, warehouse=warehouse_a, counted="2.5")
    kilos = ProductFactory(sku="SKU-KG", unit="kg")
    services.receive(user=clerk, product=kilos, warehouse=warehouse_a, quantity="2.5", unit_cost=1)
    assert StockMovement.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.postgres
@pytest.mark.parametrize(
    "url",
    [
        "/admin/inventory/product/?unit__exact=%00",
        "/admin/inventory/stockmovement/?kind__exact=%00",
        "/admin/inventory/product/?q=a%00b",
        "/admin/inventory/stocklevel/?warehouse__id__exact=%00",
    ],
)
def test_a_nul_byte_in_any_query_parameter_is_a_clear_400(admin_client, url):
    response = admin_client.get(url)

    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


# Import cells -------------------------------------------------------------------------------------------


@pytest.fixture
def tools(db):
    return Category.objects.create(name="Tools")


def preview(user, body: str, **options):
    return preview_import("products", body.encode(), user=user, filename="p.csv", **options)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("cost_price", "1e30", "Prices are at most 9,999,999,999.99; got 1e30."),
        ("cost_price", "1e20", "Prices are at most 9,999,999,999.99; got 1e20."),
        ("reorder_point", "99999999999999", "Reorder points are at most 999,999,999.999; got 99999999999999."),
        ("cost_price", "NaN", "“NaN” is not a number."),
        ("cost_price", "1e-30", "“1e-30” is too large or too small to be stored."),
    ],
)
def test_a_number_that_does_not_fit_its_column_is_a_preview_error(superuser, tools, column, value, message):
    plan = preview(superuser, f"sku,name,category,{column}\nP-1,Hammer,Tools,{value}\n")

    assert [(e.row, e.column, e.message.split(": ", 1)[-1]) for e in plan.errors] == [(2, column, message)]


@pytest.mark.django_db
def test_a_count_too_large_for_stock_is_a_preview_error(superuser, warehouse_a):
    ProductFactory(sku="P-1")
    plan = preview_import(
        "stock_counts", b"sku,warehouse,counted\nP-1,A,99999999999999\n", user=superuser, filename="c.csv"
    )

    assert [e.message for e in plan.errors] == [
        "Counted quantity: Quantities are at most 99,999,999.999; got 99999999999999."
    ]


@pytest.mark.django_db
def test_a_count_of_a_fraction_of_a_whole_unit_is_a_preview_error(superuser, warehouse_a):
    ProductFactory(sku="P-1", unit="ea")
    plan = preview_import("stock_counts", b"sku,warehouse,counted\nP-1,A,2.5\n", user=superuser, filename="c.csv")

    assert [e.message for e in plan.errors] == ["P-1 is counted in whole units; got 2.5."]


@pytest.mark.django_db
def test_a_number_that_reads_two_ways_is_refused_naming_both_unless_the_upload_says(superuser, tools):
    body = 'sku,name,category,cost_price\nP-1,Hammer,Tools,"1,250"\n'

    detected = preview(superuser, body)
    with_point = preview(superuser, body, decimal="point")
    with_comma = preview(superuser, body, decimal="comma")

    assert [e.message for e in detected.errors] == [
        "Cost price: “1,250” could be 1250 or 1.25; choose the file's decimal separator on the upload form "
        "and upload it again."
    ]
    assert with_point.is_valid and with_comma.is_valid
    with cells.reading(decimal_separator="."):
        assert cells.decimal("1,250", places=2) == Decimal("1250")
    with cells.reading(decimal_separator=","):
        assert cells.decimal("1,250", places=2) == Decimal("1.25")


@pytest.mark.django_db
def test_the_decimal_separator_chosen_on_upload_is_used_on_confirm(admin_client, tools):
    file = io.BytesIO(b'sku,name,category,cost_price\nP-1,Hammer,Tools,"1,250"\n')
    file.name = "p.csv"
    response = admin_client.post("/admin/inventory/product/import/", {"file": file, "decimal": "comma"})
    admin_client.post("/admin/inventory/product/import/", {"token": response.context["token"]})

    assert Product.objects.get(sku="P-1").cost_price == Decimal("1.25")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2,5", "2.5"), ("1,250,000", "1250000"), ("1,250.50", "1250.50"), ("1.250,5", "1250.5"), ("12", "12")],
)
def test_numbers_that_read_one_way_only_are_read_that_way(raw, expected):
    assert cells.decimal(raw, places=3) == Decimal(expected)


# Uploads bounded before they are parsed -----------------------------------------------------------------


def zip_bomb(inflated_bytes: int) -> bytes:
    """A real workbook whose sheet XML inflates to `inflated_bytes` (rows of one repeated cell)."""
    book = io.BytesIO()
    Workbook().save(book)
    source = zipfile.ZipFile(io.BytesIO(book.getvalue()))
    out = io.BytesIO()
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for item in source.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                with bomb.open(item.filename, "w", force_zip64=True) as sheet:
                    sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
                    sheet.write(b"<sheetData>")
                    chunk = row * 20_000
                    for _ in range(inflated_bytes // len(chunk)):
                        sheet.write(chunk)
                    sheet.write(b"</sheetData></worksheet>")
            else:
                bomb.writestr(item, source.read(item.filename))
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return zip_bomb(1_100 * 1024 * 1024)  # 1.1 GB of sheet XML in a few MB


def test_a_zip_bomb_is_refused_in_under_a_second_and_100_mb(bomb):
    assert len(bomb) < 6 * 1024 * 1024
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ImportFileError, match=r"This workbook unpacks to 1\.1 GB|unpacks to 1,1"):
        parse_file(bomb, filename="bomb.xlsx")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 100 * 1024 * 1024


@pytest.mark.django_db
def test_a_catalog_editor_uploading_a_zip_bomb_gets_a_message_and_the_process_stays_small(client, bomb):
    client.force_login(UserFactory(roles=[CATALOG_EDITOR]))
    file = io.BytesIO(bomb)
    file.name = "products.xlsx"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()

    response = client.post("/admin/inventory/product/import/", {"file": file})

    assert time.perf_counter() - started < 2.0
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024 < 100 * 1024 * 1024
    assert "This workbook unpacks to" in response.content.decode()
    assert not Product.objects.exists()


def test_a_workbook_within_the_inflated_limit_but_with_too_many_rows_is_refused_while_streaming(settings):
    settings.STOCKROOM_IMPORT_MAX_ROWS = 100
    book = Workbook()
    sheet = book.active
    sheet.append(["sku", "name", "category"])
    for n in range(150):
        sheet.append([f"P-{n}", "x", "Tools"])
    data = io.BytesIO()
    book.save(data)

    with pytest.raises(ImportFileError, match="The sheet has 151 rows; split it into files of at most 100 rows."):
        parse_file(data.getvalue(), filename="many.xlsx")
    # A sheet that declares no (or a false) dimension is still stopped row by row while streaming.
    lying = _without_dimension(data.getvalue())
    with pytest.raises(ImportFileError, match="more than 100 rows"):
        parse_file(lying, filename="many.xlsx")


def _without_dimension(workbook: bytes) -> bytes:
    import re

    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as copy:
        for item in source.infolist():
            data = source.read(item.filename)
            if "worksheets/sheet1" in item.filename:
                data = re.sub(rb"<dimension[^>]*/>", b"", data)
            copy.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"sku,name\n" + b"P,x\n" * 101, "more than 100 rows"),
        (b"sku," + b",".join(b"c%d" % n for n in range(60)) + b"\nP" + b",1" * 60 + b"\n", "more than 50 columns"),
        (b"sku,name\nP," + b"x" * 10_001 + b"\n", "cells may hold at most 10,000"),
    ],
)
def test_csv_rows_columns_and_cells_are_bounded(settings, body, message):
    settings.STOCKROOM_IMPORT_MAX_ROWS = 100
    with pytest.raises(ImportFileError, match=message):
        parse_file(body, filename="x.csv")


def test_json_rows_are_bounded(settings):
    settings.STOCKROOM_IMPORT_MAX_ROWS = 3
    with pytest.raises(ImportFileError, match="more than 3 rows"):
        parse_file(b'[{"sku": "a"}, {"sku": "b"}, {"sku": "c"}, {"sku": "d"}]', filename="x.json")


def test_a_workbook_with_broken_xml_is_a_clear_error():
    book = io.BytesIO()
    Workbook().save(book)
    source = zipfile.ZipFile(io.BytesIO(book.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as broken:
        for item in source.infolist():
            data = source.read(item.filename)
            broken.writestr(item, b"<worksheet><sheetData><row>" if "worksheets/sheet1" in item.filename else data)
    with pytest.raises(ImportFileError, match="Excel workbook|could not be read"):
        parse_file(out.getvalue(), filename="broken.xlsx")


# Properties: arbitrary input, only the domain's own errors, nothing written ------------------------------

NUMBERS = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.text(max_size=30),
    st.sampled_from(["1e30", "-1e30", "1,250", "99999999999.999", "0", "-0", "1e-30", " 5 ", "NaN", "Infinity"]),
)
CELL_PARSERS = [column.widget.clean for resource in RESOURCES.values() for column in resource.import_columns]


@hypothesis_settings(max_examples=150, deadline=None)
@given(value=st.one_of(NUMBERS, st.none(), st.booleans()), separator=st.sampled_from(["", ".", ","]))
def test_cell_parsers_raise_only_cell_errors_on_any_input(value, separator):
    with cells.reading(decimal_separator=separator):
        for parse in CELL_PARSERS:
            try:
                parse(value)
            except cells.CellError:
                pass


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(quantity=NUMBERS, cost=NUMBERS, kind=st.sampled_from(["receive", "issue", "adjust", "set_count"]))
def test_stock_services_raise_only_domain_errors_and_write_nothing_when_they_do(
    superuser, warehouse_a, quantity, cost, kind
):
    product = Product.objects.filter(sku="SKU-PROP").first() or ProductFactory(sku="SKU-PROP", unit="kg")
    before = (StockMovement.objects.count(), list(StockLevel.objects.values_list("on_hand", "average_cost")))
    call = {
        "receive": lambda: services.receive(
            user=superuser, product=product, warehouse=warehouse_a, quantity=quantity, unit_cost=cost
        ),
        "issue": lambda: services.issue(user=superuser, product=product, warehouse=warehouse_a, quantity=quantity),
        "adjust": lambda: services.adjust(
            user=superuser, product=product, warehouse=warehouse_a, quantity=quantity, reason="prop", unit_cost=cost
        ),
        "set_count": lambda: services.set_count(
            user=superuser, product=product, warehouse=warehouse_a, counted=quantity
        ),
    }[kind]
    try:
        call()
    except services.DomainError:
        after = (StockMovement.objects.count(), list(StockLevel.objects.values_list("on_hand", "average_cost")))
        assert after == before or (kind == "set_count" and after[0] == before[0])


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["abc", "1e3", "99999999999999999999999"])
def test_any_admin_autocomplete_given_a_non_id_is_a_form_error_not_a_500(admin_client, bad):
    product = ProductFactory()
    form = {
        "sku": product.sku,
        "name": "Renamed",
        "category": bad,
        "unit": "ea",
        "cost_price": "1",
        "sale_price": "1",
        "reorder_point": "0",
        "reorder_quantity": "0",
    }

    response = admin_client.post(f"/admin/inventory/product/{product.pk}/change/", form)

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    product.refresh_from_db()
    assert product.name != "Renamed"
