"""Each import page offers a template to start from (header, an example row; the XLSX says what each column allows),
and the template as downloaded previews cleanly once what it names exists."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from inventory.imports import preview_import
from tests.factories import CategoryFactory, ProductFactory, SupplierFactory, UserFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

IMPORTS = {
    "product": "products",
    "category": "categories",
    "supplier": "suppliers",
    "warehouse": "warehouses",
    "stocklevel": "stock_counts",
}


@pytest.mark.parametrize("model", list(IMPORTS))
def test_each_import_page_links_its_templates_and_explains_its_columns(admin_client, model):
    page = admin_client.get(reverse(f"admin:inventory_{model}_import")).content.decode()
    url = reverse(f"admin:inventory_{model}_import_template")
    assert f'href="{url}"' in page and f'href="{url}?format=xlsx"' in page
    assert 'id="import-guide"' in page and "Allowed values" in page


def test_the_product_template_has_the_header_an_example_and_the_allowed_units(admin_client):
    url = reverse("admin:inventory_product_import_template")
    csv_file = admin_client.get(url)
    assert csv_file["Content-Disposition"] == 'attachment; filename="products-template.csv"'
    header, example = csv_file.content.decode("utf-8-sig").splitlines()
    assert header.startswith("sku,name,category,supplier,unit")
    assert example.startswith("SKU-0001,Claw hammer 16 oz,Tools/Hand tools,SUP-001,ea")
    workbook = load_workbook(io.BytesIO(admin_client.get(url, {"format": "xlsx"}).content))
    assert [row[0] for row in workbook.worksheets[0].iter_rows(values_only=True)] == ["sku", "SKU-0001"]
    guide = {row[0]: row[2] for row in workbook["Columns"].iter_rows(min_row=2, values_only=True)}
    assert "ea (each)" in guide["unit"] and "kg" in guide["unit"]
    assert guide["active"].startswith("yes or no")
    assert "existing category" in guide["category"]


@pytest.mark.parametrize("model, resource", list(IMPORTS.items()))
def test_a_downloaded_template_previews_without_errors(admin_client, superuser, model, resource):
    tools = CategoryFactory(name="Tools")
    CategoryFactory(name="Hand tools", parent=tools)
    SupplierFactory(code="SUP-001")
    WarehouseFactory(code="MAIN")
    if resource == "stock_counts":
        ProductFactory(sku="SKU-0001")
    data = admin_client.get(reverse(f"admin:inventory_{model}_import_template")).content
    plan = preview_import(resource, data, user=superuser, filename="template.csv")
    assert plan.is_valid, [error.message for error in plan.errors]
    assert plan.total == 1


def test_the_template_is_refused_to_a_user_who_may_not_import(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("admin:inventory_product_import_template")).status_code == 403
