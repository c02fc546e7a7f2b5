"""Imports: upload → preview → confirm, all or nothing, with a clear message for every kind of bad file."""

import hashlib
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from inventory.imports import ImportRejected, apply_import, preview_import
from inventory.models import AuditEntry, Category, Product, StockLevel, StockMovement, Supplier, Warehouse
from inventory.roles import CATALOG_EDITOR
from tests.factories import ProductFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def catalog(db):
    tools = Category.objects.create(name="Tools")
    Category.objects.create(name="Hand tools", parent=tools)
    return SupplierFactory(code="ACME", name="Acme")


@pytest.fixture
def editor(db):
    return UserFactory(username="editor", roles=[CATALOG_EDITOR])


@pytest.fixture
def stocked(catalog, warehouse_a, warehouse_b):
    hand_tools = Category.objects.get(path="Tools/Hand tools")
    return [ProductFactory(sku=sku, category=hand_tools, default_supplier=catalog) for sku in ("P-1", "P-2")]


def upload(client, model: str, name: str, data: bytes | None = None, **fields):
    content = data if data is not None else (DATA / name).read_bytes()
    file = io.BytesIO(content)
    file.name = name
    return client.post(f"/admin/inventory/{model}/import/", {"file": file, **fields})


def confirm(client, model: str, response):
    return client.post(f"/admin/inventory/{model}/import/", {"token": response.context["token"]}, follow=True)


def history_count() -> int:
    return Product.history.count() + Category.history.count() + Supplier.history.count()


# The happy path ------------------------------------------------------------------------------------------


def test_preview_counts_rows_and_writes_nothing_until_confirmed(admin_client, catalog):
    response = upload(admin_client, "product", "products_valid.csv")
    assert response.status_code == 200
    counts = response.context["counts"]
    assert (counts["new"], counts["updated"], counts["unchanged"], counts["errors"]) == (2, 0, 0, 0)
    assert Product.objects.count() == 0
    page = confirm(admin_client, "product", response)
    assert "Imported products_valid.csv: 2 new, 0 updated, 0 unchanged." in page.content.decode()
    hammer = Product.objects.get(sku="P-1")
    assert (hammer.name, hammer.category.path, hammer.default_supplier.code) == (
        "Claw hammer",
        "Tools/Hand tools",
        "ACME",
    )
    assert hammer.cost_price == Decimal("10.00")


def test_imported_products_have_history_with_the_importing_user_and_file(admin_client, superuser, catalog):
    confirm(admin_client, "product", upload(admin_client, "product", "products_valid.csv"))
    entry = Product.history.get(sku="P-1")
    assert (entry.history_type, entry.history_user, entry.history_change_reason) == (
        "+",
        superuser,
        "import products_valid.csv",
    )


def test_imported_and_updated_products_appear_in_the_audit_log_with_the_importer(admin_client, superuser, catalog):
    confirm(admin_client, "product", upload(admin_client, "product", "products_valid.csv"))
    edited = (DATA / "products_valid.csv").read_text().replace("Tape measure", "Tape measure 5 m")
    confirm(admin_client, "product", upload(admin_client, "product", "edited.csv", edited.encode()))

    log = admin_client.get("/admin/audit/", {"model": "inventory.product"}).content.decode()
    created = AuditEntry.objects.filter(action=AuditEntry.Action.CREATED, reason="import products_valid.csv")
    assert sorted(created.values_list("object_repr", flat=True))[1] == "P-2 — Tape measure"
    assert sorted(created.values_list("object_id", flat=True)) == sorted(
        Product.objects.filter(sku__in=["P-1", "P-2"]).values_list("pk", flat=True)
    )
    assert set(created.values_list("user", flat=True)) == {superuser.pk}
    changed = AuditEntry.objects.get(action=AuditEntry.Action.CHANGED, reason="import edited.csv")
    assert changed.changes[0]["new"] == "Tape measure 5 m"
    assert "import edited.csv" in log and "Tape measure 5 m" in log


def test_semicolon_csv_with_bom_and_decimal_commas_is_read(admin_client, catalog):
    response = upload(admin_client, "product", "products_semicolon_bom.csv")
    assert response.context["counts"]["new"] == 2
    confirm(admin_client, "product", response)
    assert Product.objects.get(sku="P-3").cost_price == Decimal("12.50")


def test_delimiter_can_be_chosen_instead_of_detected(admin_client, catalog):
    response = upload(admin_client, "product", "products_semicolon_bom.csv", delimiter="comma")
    assert "Unknown column: sku;name;category;cost_price" in response.content.decode()


def test_xlsx_and_json_files_import(admin_client, catalog):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["sku", "name", "category", "cost_price", "active"])
    sheet.append(["P-40", "Drill", "Tools", 19.5, True])
    buffer = io.BytesIO()
    workbook.save(buffer)
    confirm(admin_client, "product", upload(admin_client, "product", "drills.xlsx", buffer.getvalue()))
    confirm(admin_client, "product", upload(admin_client, "product", "products.json"))
    assert Product.objects.get(sku="P-40").cost_price == Decimal("19.50")
    assert Product.objects.get(sku="P-30").name == "Jigsaw"


def test_changed_rows_are_updated_and_the_rest_left_alone(admin_client, catalog):
    confirm(admin_client, "product", upload(admin_client, "product", "products_valid.csv"))
    edited = (DATA / "products_valid.csv").read_text().replace("Tape measure", "Tape measure 5 m")
    response = upload(admin_client, "product", "edited.csv", edited.encode())
    assert (response.context["counts"]["updated"], response.context["counts"]["unchanged"]) == (1, 1)
    before = history_count()
    confirm(admin_client, "product", response)
    assert Product.objects.get(sku="P-2").name == "Tape measure 5 m"
    assert history_count() == before + 1
    assert Product.history.filter(sku="P-2").first().history_type == "~"


def test_reimporting_the_same_file_reports_all_unchanged_and_writes_no_history(admin_client, catalog):
    confirm(admin_client, "product", upload(admin_client, "product", "products_valid.csv"))
    before = history_count()
    response = upload(admin_client, "product", "products_valid.csv")
    assert response.context["counts"]["unchanged"] == 2
    confirm(admin_client, "product", response)
    assert history_count() == before


def test_confirm_refuses_when_the_data_changed_after_the_preview(admin_client, catalog):
    confirm(admin_client, "product", upload(admin_client, "product", "products_valid.csv"))
    edited = (DATA / "products_valid.csv").read_text().replace("Claw hammer", "Framing hammer")
    response = upload(admin_client, "product", "edited.csv", edited.encode())
    Product.objects.filter(sku="P-1").update(name="Framing hammer")  # someone else made the same edit meanwhile
    page = confirm(admin_client, "product", response)
    assert "The data changed since the preview" in page.content.decode()
    assert Product.history.filter(sku="P-1").count() == 1


def test_confirm_refuses_a_file_that_is_not_the_one_previewed(superuser, catalog):
    previewed = (DATA / "products_valid.csv").read_bytes()
    swapped = previewed.replace(b"Claw hammer", b"Swapped hammer")
    with pytest.raises(ImportRejected, match="The uploaded file changed after the preview; nothing was imported."):
        apply_import(
            "products", swapped, user=superuser, filename="p.csv", expected_sha256=hashlib.sha256(previewed).hexdigest()
        )
    assert not Product.objects.exists()


def test_categories_import_parents_before_children(admin_client):
    data = b"path\nGarden/Hoses\nGarden\nGarden/Hoses/Fittings\n"
    response = upload(admin_client, "category", "categories.csv", data)
    assert response.context["counts"]["new"] == 3
    confirm(admin_client, "category", response)
    fittings = Category.objects.get(path="Garden/Hoses/Fittings")
    assert fittings.parent.parent.name == "Garden"


def test_suppliers_and_warehouses_import_by_code(admin_client, warehouse_a):
    supplier_data = b"code,name,email,lead_time_days\nbolt,Bolt Ltd,orders@bolt.example,5\n"
    confirm(admin_client, "supplier", upload(admin_client, "supplier", "s.csv", supplier_data))
    assert Supplier.objects.get(code="BOLT").lead_time_days == 5
    warehouse_data = b"code,name\na,Alpha renamed\nc,Charlie\n"
    response = upload(admin_client, "warehouse", "w.csv", warehouse_data)
    assert (response.context["counts"]["new"], response.context["counts"]["updated"]) == (1, 1)
    confirm(admin_client, "warehouse", response)
    assert Warehouse.objects.get(code="A").name == "Alpha renamed"


# Bad input: a clear message, nothing written ----------------------------------------------------------------


def assert_rejected(response, message: str):
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not response.context.get("token")
    assert Product.objects.count() == 0


def test_wrong_encoding_is_explained(admin_client, catalog):
    response = upload(admin_client, "product", "products_latin1.csv")
    assert_rejected(response, "The file is not UTF-8 text (unreadable byte 0xE9 on line 2)")


def test_missing_column_is_named(admin_client, catalog):
    assert_rejected(upload(admin_client, "product", "products_missing_column.csv"), "Missing column: name.")


def test_unknown_column_is_rejected_not_ignored(admin_client, catalog):
    assert_rejected(upload(admin_client, "product", "products_unknown_column.csv"), "Unknown column: colour")


def test_empty_file_is_rejected(admin_client, catalog):
    assert_rejected(upload(admin_client, "product", "empty.csv"), "The file is empty.")


def test_header_without_rows_is_rejected(admin_client, catalog):
    assert_rejected(upload(admin_client, "product", "header_only.csv"), "The file has a header row but no data rows.")


def test_corrupt_xlsx_is_rejected(admin_client, catalog):
    assert_rejected(upload(admin_client, "product", "corrupt.xlsx"), "The file is not a readable Excel workbook")


def test_password_protected_xlsx_is_rejected(admin_client, catalog):
    assert_rejected(upload(admin_client, "product", "password_protected.xlsx"), "This workbook is password-protected.")


def test_json_that_is_not_a_list_is_rejected(admin_client, catalog):
    assert_rejected(upload(admin_client, "product", "not_a_list.json"), "A JSON import must be a list of objects")


def test_file_over_the_size_limit_is_rejected(admin_client, catalog, settings):
    settings.STOCKROOM_IMPORT_MAX_BYTES = 100
    response = upload(admin_client, "product", "products_valid.csv")
    assert_rejected(response, "files up to 0.0 MB can be imported")
    with pytest.raises(Exception, match="files up to 100 bytes can be imported"):
        preview_import("products", (DATA / "products_valid.csv").read_bytes(), user=response.wsgi_request.user)


def error_rows(response) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in response.context["plan"].errors]


def test_duplicate_keys_in_one_file_are_row_errors(admin_client, catalog):
    response = upload(admin_client, "product", "products_duplicate_sku.csv")
    assert error_rows(response) == [(3, "sku", "P-8 appears more than once in the file (first on row 2).")]
    assert_rejected(response, "appears more than once in the file")


def test_negative_and_non_numeric_prices_are_row_errors(admin_client, catalog):
    response = upload(admin_client, "product", "products_bad_numbers.csv")
    assert error_rows(response) == [
        (2, "cost_price", "Cost price: It cannot be negative; got -3."),
        (3, "cost_price", "Cost price: “abc” is not a number."),
    ]
    assert_rejected(response, "is not a number")


def test_unknown_category_and_supplier_are_row_errors(admin_client, catalog):
    response = upload(admin_client, "product", "products_unknown_refs.csv")
    assert error_rows(response) == [
        (2, "category", "Category “Tools/Power tools” does not exist; create it first or fix the path."),
        (3, "supplier", "Supplier “NOPE” does not exist."),
    ]
    assert_rejected(response, "does not exist")


def test_confirm_of_a_file_with_errors_writes_nothing(superuser, catalog):
    data = (DATA / "products_one_error.csv").read_bytes()
    with pytest.raises(Exception, match="problems were found; nothing was imported"):
        apply_import("products", data, user=superuser, filename="x.csv")
    assert Product.objects.count() == 0


def test_user_without_import_permission_cannot_open_the_import(client, catalog):
    client.force_login(UserFactory(username="nobody", roles=[]))
    assert client.get("/admin/inventory/product/import/").status_code == 403


def test_catalog_editor_may_import_products(client, editor, catalog):
    client.force_login(editor)
    confirm(client, "product", upload(client, "product", "products_valid.csv"))
    assert Product.history.filter(history_user=editor).count() == 2


# Stock counts --------------------------------------------------------------------------------------------


def test_stock_count_posts_adjustments_for_the_difference(client, manager, stocked, warehouse_a):
    client.force_login(manager)
    response = upload(client, "stocklevel", "counts_valid.csv")
    assert response.context["counts"]["new"] == 1 and response.context["counts"]["unchanged"] == 1
    confirm(client, "stocklevel", response)
    level = StockLevel.objects.get(product__sku="P-1", warehouse=warehouse_a)
    movement = StockMovement.objects.get()
    assert (level.on_hand, movement.kind, movement.quantity, movement.created_by) == (12, "adjustment", 12, manager)
    again = upload(client, "stocklevel", "counts_valid.csv")
    assert again.context["counts"]["unchanged"] == 2


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("counts_negative.csv", (2, "counted", "Counted quantity: It cannot be negative; got -4.")),
        ("counts_not_a_number.csv", (2, "counted", "Counted quantity: “twelve” is not a number.")),
        ("counts_duplicate.csv", (3, "sku", "P-1 / A appears more than once in the file (first on row 2).")),
    ],
)
def test_bad_counted_quantities_are_row_errors(client, manager, stocked, name, expected):
    client.force_login(manager)
    response = upload(client, "stocklevel", name)
    assert expected in error_rows(response)
    assert not response.context["token"]
    assert not StockMovement.objects.exists()


def test_unknown_sku_and_warehouse_in_counts_are_row_errors(client, manager, stocked):
    client.force_login(manager)
    response = upload(client, "stocklevel", "counts_unknown_sku_warehouse.csv")
    assert error_rows(response) == [
        (2, "sku", "SKU NOPE-1 does not exist."),
        (3, "warehouse", "Warehouse ZZ is not one of yours."),
    ]
    assert not StockMovement.objects.exists()


def test_count_row_for_a_warehouse_outside_scope_is_an_error_and_nothing_is_written(client, manager, stocked):
    client.force_login(manager)
    response = upload(client, "stocklevel", "counts_out_of_scope.csv")
    assert error_rows(response) == [(3, "warehouse", "Warehouse B is not one of yours.")]
    assert "Warehouse B is not one of yours." in response.content.decode()
    with pytest.raises(Exception, match="problems were found"):
        apply_import("stock_counts", (DATA / "counts_out_of_scope.csv").read_bytes(), user=manager)
    assert not StockMovement.objects.exists() and not StockLevel.objects.exists()


def test_warehouse_import_cannot_change_a_warehouse_outside_scope(manager, warehouse_a, warehouse_b):
    manager.user_permissions.add(*_perms("import_warehouse", "view_warehouse"))
    plan = preview_import("warehouses", b"code,name\nA,Alpha 2\nB,Bravo 2\n", user=manager)
    assert [(e.row, e.message) for e in plan.errors] == [(3, "Warehouse B is not one of yours.")]


def test_count_rows_naming_an_unknown_or_an_out_of_scope_warehouse_read_the_same(client, manager, stocked):
    client.force_login(manager)

    response = upload(client, "stocklevel", "counts.csv", b"sku,warehouse,counted\nP-1,B,5\nP-2,NORTH,5\n")

    page = response.content.decode()
    assert "Warehouse B is not one of yours." in page
    assert "Warehouse NORTH is not one of yours." in page
    assert "does not exist" not in page and "outside your warehouses" not in page
    assert not StockMovement.objects.exists()


def _perms(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(codename__in=codenames, content_type__app_label="inventory")


# Large imports run in the background ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_large_import_runs_as_a_job_and_reports_its_summary(client, settings, catalog):
    from inventory.models import DataJob
    from tests.factories import SuperuserFactory

    settings.STOCKROOM_BACKGROUND_ROWS = 1
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    client.force_login(SuperuserFactory())
    response = upload(client, "product", "products_valid.csv")
    page = confirm(client, "product", response)
    assert "running in the background" in page.content.decode()
    job = DataJob.objects.get(kind=DataJob.Kind.IMPORT)
    assert job.status == DataJob.Status.DONE
    assert (job.summary["new"], job.rows_done) == (2, 2)
    assert Product.objects.count() == 2
