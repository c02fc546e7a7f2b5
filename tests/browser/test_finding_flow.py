"""Finding things in the browser: Ctrl-K finds a product by SKU and opens it; an import page's template downloads."""

import csv
import io

import pytest
from openpyxl import load_workbook

from inventory.roles import CATALOG_EDITOR
from tests.factories import ProductFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ctrl_k_finds_a_product_by_sku_and_opens_its_page(login, live_server, clerk):
    product = ProductFactory(sku="SKU-FIND-7", name="Findable wrench")
    ProductFactory(sku="SKU-OTHER", name="Another thing")
    page = login("clerk_a")
    page.wait_for_load_state("networkidle")  # the shortcut listens once the page's scripts run

    page.keyboard.press("Control+k")
    search = page.locator("#search-input-command")
    search.wait_for()
    page.keyboard.type("sku-find")
    result = page.get_by_text("SKU-FIND-7 — Findable wrench")
    result.wait_for()
    assert page.get_by_text("SKU-OTHER").count() == 0
    result.click()

    page.wait_for_url(f"**/admin/inventory/product/{product.pk}/change/")
    assert "Findable wrench" in page.content()


def test_an_import_template_downloads_with_its_header_and_an_example_row(login, live_server):
    UserFactory(username="editor", roles=[CATALOG_EDITOR])
    page = login("editor")
    page.goto(f"{live_server.url}/admin/inventory/product/import/")

    with page.expect_download() as download:
        page.click("#import-template-csv")
    with open(download.value.path(), encoding="utf-8-sig") as file:
        header, example, *_ = list(csv.reader(file))
    assert header[:2] == ["sku", "name"] and len(example) == len(header)

    with page.expect_download() as download:
        page.click("#import-template-xlsx")
    with open(download.value.path(), "rb") as file:
        workbook = load_workbook(io.BytesIO(file.read()), read_only=True)
    assert [cell.value for cell in next(workbook.worksheets[0].iter_rows(max_row=1))][:2] == ["sku", "name"]
