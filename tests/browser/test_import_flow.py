"""A catalog editor imports products in the browser: a row error, a fixed file, history, and an export round trip."""

from pathlib import Path

import pytest

from inventory.models import Category, Product
from inventory.roles import CATALOG_EDITOR
from tests.factories import SupplierFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DATA = Path(__file__).parents[1] / "data"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_editor_fixes_a_row_error_imports_and_round_trips_an_export(login, live_server, tmp_path):
    UserFactory(username="editor", roles=[CATALOG_EDITOR])
    tools = Category.objects.create(name="Tools")
    Category.objects.create(name="Hand tools", parent=tools)
    SupplierFactory(code="ACME")
    page = login("editor")

    page.goto(f"{live_server.url}/admin/inventory/product/")
    page.get_by_role("link", name="Import").click()
    page.set_input_files("input[type=file]", str(DATA / "products_one_error.csv"))
    page.get_by_role("button", name="Preview import").click()
    errors = page.locator("#import-errors")
    assert "Cost price: “lots” is not a number." in errors.inner_text()
    assert page.locator("[data-count=errors]").inner_text() == "1"
    assert page.get_by_role("button", name="Confirm import").count() == 0
    assert Product.objects.count() == 0

    fixed = tmp_path / "products_fixed.csv"
    fixed.write_text((DATA / "products_one_error.csv").read_text().replace(",lots,", ",7.25,"))
    page.set_input_files("input[type=file]", str(fixed))
    page.get_by_role("button", name="Preview import").click()
    assert page.locator("[data-count=new]").inner_text() == "3"
    page.get_by_role("button", name="Confirm import").click()
    page.wait_for_url(f"{live_server.url}/admin/inventory/product/")
    assert "Imported products_fixed.csv: 3 new, 0 updated, 0 unchanged." in page.content()
    assert page.locator("#result_list").inner_text().count("P-2") == 3

    clamp = Product.objects.get(sku="P-21")
    page.goto(f"{live_server.url}/admin/inventory/product/{clamp.pk}/history/")
    assert "import products_fixed.csv" in page.content()
    assert "editor" in page.locator("#change-history").inner_text()

    page.goto(f"{live_server.url}/admin/inventory/product/")
    page.get_by_role("link", name="Export").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="CSV").click()
    exported = tmp_path / "exported.csv"
    download.value.save_as(exported)
    history = Product.history.count()

    page.goto(f"{live_server.url}/admin/inventory/product/import/")
    page.set_input_files("input[type=file]", str(exported))
    page.get_by_role("button", name="Preview import").click()
    assert page.locator("[data-count=unchanged]").inner_text() == "3"
    assert page.locator("[data-count=new]").inner_text() == "0"
    page.get_by_role("button", name="Confirm import").click()
    page.wait_for_url(f"{live_server.url}/admin/inventory/product/")
    assert "0 new, 0 updated, 3 unchanged" in page.content()
    assert Product.history.count() == history
