"""Every write path leaves exactly one historical record per changed object, with the acting user and type."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.tasks import task
from django.test import override_settings

from inventory import audit, services
from inventory.models import AuditEntry, Product, StockLevel, Supplier
from inventory.roles import CATALOG_EDITOR, MANAGER
from tests.audit_helpers import product_form_data
from tests.factories import CategoryFactory, ProductFactory, StockLevelFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.django_db


def history_of(obj):
    return list(type(obj).history.filter(id=obj.pk).order_by("history_id"))


def new_records(obj, before: int):
    return history_of(obj)[before:]


def test_admin_edit_records_one_change_by_the_editor(admin_client, superuser):
    product = ProductFactory()
    before = len(history_of(product))

    response = admin_client.post(
        f"/admin/inventory/product/{product.pk}/change/", product_form_data(product, name="Claw hammer")
    )

    assert response.status_code == 302
    [record] = new_records(product, before)
    assert (record.history_type, record.history_user, record.name) == ("~", superuser, "Claw hammer")


def test_saving_an_inline_records_the_stock_level_but_not_the_unchanged_product(admin_client, superuser, warehouse_a):
    level = StockLevelFactory(warehouse=warehouse_a, bin="A-01")
    product = level.product
    product_before, level_before = len(history_of(product)), len(history_of(level))
    data = product_form_data(
        product,
        **{
            "stock_levels-TOTAL_FORMS": "1",
            "stock_levels-INITIAL_FORMS": "1",
            "stock_levels-0-id": level.pk,
            "stock_levels-0-product": product.pk,
            "stock_levels-0-bin": "B-07",
        },
    )

    response = admin_client.post(f"/admin/inventory/product/{product.pk}/change/", data)

    assert response.status_code == 302
    [record] = new_records(level, level_before)
    assert (record.history_type, record.history_user, record.bin) == ("~", superuser, "B-07")
    assert new_records(product, product_before) == []


def test_bulk_deactivate_action_records_one_change_per_deactivated_product(client, warehouse_a):
    editor = UserFactory(roles=[CATALOG_EDITOR])
    active = ProductFactory.create_batch(2)
    already_inactive = ProductFactory(is_active=False)
    counts = {product.pk: len(history_of(product)) for product in [*active, already_inactive]}
    client.force_login(editor)

    response = client.post(
        "/admin/inventory/product/",
        {"action": "deactivate_selected", "_selected_action": [p.pk for p in [*active, already_inactive]]},
    )

    assert response.status_code == 302
    for product in active:
        [record] = new_records(product, counts[product.pk])
        assert (record.history_type, record.history_user, record.history_change_reason) == (
            "~",
            editor,
            "bulk deactivate",
        )
        assert record.is_active is False
    assert new_records(already_inactive, counts[already_inactive.pk]) == []
    assert Product.objects.filter(is_active=True).count() == 0


def test_bulk_deactivate_works_on_suppliers_too(admin_client, superuser):
    supplier = SupplierFactory()
    before = len(history_of(supplier))

    admin_client.post(
        "/admin/inventory/supplier/", {"action": "deactivate_selected", "_selected_action": [supplier.pk]}
    )

    [record] = new_records(supplier, before)
    assert (record.history_type, record.history_user, record.is_active) == ("~", superuser, False)


def test_a_receipt_records_one_change_on_the_stock_level_by_the_clerk_with_its_reference(clerk, warehouse_a):
    level = StockLevelFactory(warehouse=warehouse_a)
    before = len(history_of(level))

    services.receive(
        user=clerk, product=level.product, warehouse=warehouse_a, quantity=4, unit_cost=3, reference="PO-0012"
    )

    [record] = new_records(level, before)
    assert (record.history_type, record.history_user, record.history_change_reason) == ("~", clerk, "receipt PO-0012")
    assert record.on_hand == Decimal("4")


def test_a_first_receipt_attributes_the_new_stock_level_to_the_clerk_too(clerk, warehouse_a):
    product = ProductFactory()

    services.receive(user=clerk, product=product, warehouse=warehouse_a, quantity=1, unit_cost=1, reference="PO-1")

    level = StockLevel.objects.get(product=product, warehouse=warehouse_a)
    assert [(r.history_type, r.history_user) for r in history_of(level)] == [("+", clerk), ("~", clerk)]


def test_import_through_the_bulk_helpers_records_one_entry_per_row_with_user_and_reason(warehouse_a):
    importer = UserFactory(roles=[CATALOG_EDITOR])
    category = CategoryFactory()
    rows = [Product(sku=f"IMP-{n}", name=f"Imported {n}", category=category) for n in range(3)]

    created = audit.bulk_create_with_history(rows, Product, user=importer, reason="import products.csv")

    for product in created:
        [record] = history_of(product)
        assert (record.history_type, record.history_user, record.history_change_reason) == (
            "+",
            importer,
            "import products.csv",
        )
    assert AuditEntry.objects.filter(reason="import products.csv", user=importer).count() == 3


def test_bulk_update_records_only_rows_that_changed_and_a_rerun_records_nothing():
    importer = UserFactory(roles=[CATALOG_EDITOR])
    products = ProductFactory.create_batch(3)
    old_name = products[0].name
    counts = {product.pk: len(history_of(product)) for product in products}
    products[0].name = "Renamed"

    changed = audit.bulk_update_with_history(products, Product, ["name"], user=importer, reason="import products.csv")
    rerun = audit.bulk_update_with_history(products, Product, ["name"], user=importer, reason="import products.csv")

    assert changed == [products[0]] and rerun == []
    [record] = new_records(products[0], counts[products[0].pk])
    assert (record.history_type, record.history_user, record.name) == ("~", importer, "Renamed")
    assert all(new_records(product, counts[product.pk]) == [] for product in products[1:])
    entry = AuditEntry.objects.get(
        history_id=record.history_id, content_type=ContentType.objects.get_for_model(Product)
    )
    assert entry.changes == [{"field": "Name", "old": old_name, "new": "Renamed"}]


def test_a_count_sheet_imported_through_set_count_records_the_manager(manager, warehouse_a):
    levels = [StockLevelFactory(warehouse=warehouse_a) for _ in range(2)]
    counts = {level.pk: len(history_of(level)) for level in levels}

    for level, counted in zip(levels, [5, 0], strict=True):
        services.set_count(user=manager, product=level.product, warehouse=warehouse_a, counted=counted)

    [record] = new_records(levels[0], counts[levels[0].pk])
    assert (record.history_type, record.history_user, record.on_hand) == ("~", manager, Decimal("5"))
    assert new_records(levels[1], counts[levels[1].pk]) == []


@task
def rename_supplier(supplier_id: int, user_id: int, name: str) -> None:
    """A background job as a task would run it: outside any request, on behalf of who started it."""
    from django.contrib.auth.models import User

    with audit.acting(User.objects.get(pk=user_id), reason="nightly supplier sync"):
        supplier = Supplier.objects.get(pk=supplier_id)
        supplier.name = name
        supplier.save()


@override_settings(TASKS={"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}})
def test_a_background_task_records_the_user_who_started_it():
    starter = UserFactory(roles=[MANAGER])
    supplier = SupplierFactory()
    before = len(history_of(supplier))

    rename_supplier.enqueue(supplier.pk, starter.pk, "Acme Tools")

    [record] = new_records(supplier, before)
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "~",
        starter,
        "nightly supplier sync",
    )


def test_acting_restores_the_request_user_afterwards(rf, superuser):
    from simple_history.models import HistoricalRecords

    request = rf.get("/")
    request.user = superuser
    HistoricalRecords.context.request = request
    try:
        with audit.acting(UserFactory(), reason="x"):
            pass
        assert HistoricalRecords.context.request is request
    finally:
        del HistoricalRecords.context.request
    with audit.acting(superuser):
        pass
    assert not hasattr(HistoricalRecords.context, "request")


def test_work_done_for_someone_inside_a_request_is_theirs_and_the_request_user_keeps_the_rest(rf, superuser):
    """One acting user for history, access and security events: the named one, else the request's."""
    from guardian.shortcuts import assign_perm
    from simple_history.models import HistoricalRecords

    from inventory.models import AccessEvent, SecurityEvent
    from inventory.services import security
    from tests.factories import WarehouseFactory

    starter, clerk = UserFactory(roles=[MANAGER]), UserFactory()
    supplier, warehouse = SupplierFactory(), WarehouseFactory()
    request = rf.get("/admin/")
    request.user = superuser
    HistoricalRecords.context.request = request
    try:
        with audit.acting(starter, reason="nightly supplier sync"):
            supplier.name = "Acme Tools"
            supplier.save()
            event = security.record(SecurityEvent.Kind.SIGN_IN, SecurityEvent.Outcome.SUCCESS)
        assign_perm("inventory.view_stock", clerk, warehouse)  # guardian's own door, no service
        supplier.name = "Acme Tools Ltd"
        supplier.save()
    finally:
        del HistoricalRecords.context.request

    named, after = history_of(supplier)[-2:]
    assert (named.history_user, named.history_change_reason) == (starter, "nightly supplier sync")
    assert (after.history_user, after.history_change_reason) == (superuser, None)
    assert (event.user, event.path) == (starter, "/admin/")
    assert AccessEvent.objects.get(user=clerk, warehouse=warehouse).actor == superuser


def test_a_security_event_recorded_by_a_background_job_names_its_user():
    from inventory.models import SecurityEvent
    from inventory.services import security

    starter = UserFactory()
    with audit.acting(starter):
        event = security.record(SecurityEvent.Kind.SIGN_IN, SecurityEvent.Outcome.SUCCESS, detail="job")
    assert (event.user, event.username, event.path) == (starter, starter.username, "")
