"""The leakage matrix: a user scoped to warehouse ALPHA reaches nothing of BRAVO through any admin path.

Each warehouse-bound admin (Warehouse, StockLevel, StockMovement, PurchaseOrder, GoodsReceipt, TransferOrder,
StockCount) is tried on every path (a stock count also on its scan, review, count sheet and step pages):
1 changelist rows, counts and filter choices; 2 change/delete/history by URL; 3 search;
4 autocomplete and raw-id popups; 5 foreign-key choices and forged POSTs; 6 actions on a
forged selection; 7 transfers; 8 dashboard; 9 export and import.
"""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse

from inventory import services
from inventory.models import StockLevel, StockMovement, Warehouse
from inventory.roles import MANAGER
from inventory.services import counts, purchasing, transfers
from tests.factories import ProductFactory, UserFactory, WarehouseFactory, grant, ordered_po

pytestmark = pytest.mark.django_db

LEAKS = ["BRAVO", "Bravo depot", "SKU-BRAVO", "Bravo blaster"]
MODELS = ["warehouse", "stocklevel", "stockmovement", "purchaseorder", "goodsreceipt", "transferorder", "stockcount"]


def give(user, *codenames):
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    for attr in ("_perm_cache", "_user_perm_cache"):
        if hasattr(user, attr):
            delattr(user, attr)


@pytest.fixture
def world(superuser):
    alpha = WarehouseFactory(code="ALPHA", name="Alpha depot")
    bravo = WarehouseFactory(code="BRAVO", name="Bravo depot")
    hammer = ProductFactory(sku="SKU-ALPHA", name="Alpha hammer")
    blaster = ProductFactory(sku="SKU-BRAVO", name="Bravo blaster")
    # Each warehouse's stock arrives on a purchase order, so its order and goods receipt are tried too.
    orders = ordered_po(superuser, alpha, (hammer, 5, 2)), ordered_po(superuser, bravo, (blaster, 7, 3))
    receipts = [
        purchasing.receive_order(
            user=superuser, order=order, quantities={order.lines.get().pk: quantity}, submission_key=f"world-{quantity}"
        )
        for order, quantity in zip(orders, (5, 7), strict=True)
    ]
    in_alpha, in_bravo = (receipt.lines.get().movement for receipt in receipts)
    # A transfer from each warehouse to a third one that the scoped user does not see either.
    charlie = WarehouseFactory(code="CHARLIE", name="Charlie depot")
    transfer_orders = tuple(
        transfers.create_order(user=superuser, source=source, warehouse=charlie, lines=[(product, 1)])
        for source, product in ((alpha, hammer), (bravo, blaster))
    )
    return {
        "alpha": alpha,
        "bravo": bravo,
        "hammer": hammer,
        "blaster": blaster,
        "warehouse": (alpha, bravo),
        "stocklevel": (StockLevel.objects.get(warehouse=alpha), StockLevel.objects.get(warehouse=bravo)),
        "stockmovement": (in_alpha, in_bravo),
        "purchaseorder": orders,
        "goodsreceipt": tuple(receipts),
        "transferorder": transfer_orders,
        # Each warehouse's stock is being counted (one line: its product).
        "stockcount": tuple(counts.open_count(user=superuser, warehouse=warehouse) for warehouse in (alpha, bravo)),
    }


@pytest.fixture
def scoped(world):
    """A warehouse manager who manages ALPHA only."""
    user = UserFactory(username="alpha_manager", roles=[MANAGER])
    grant(user, "manage_stock", world["alpha"])
    return user


@pytest.fixture
def scoped_client(client, scoped):
    client.force_login(scoped)
    return client


def url(model: str, view: str, *args) -> str:
    return reverse(f"admin:inventory_{model}_{view}", args=args)


def assert_no_leak(response, echoed: str = ""):
    """None of the other warehouse's code, name or products appears (`echoed`: the user's own search term)."""
    text = response.content.decode()
    for leak in [leak for leak in LEAKS if leak != echoed]:
        assert leak not in text, f"{leak!r} leaked into {response.request['PATH_INFO']}"


def request_for(user, path="/admin/", data=None):
    request = RequestFactory().get(path, data or {})
    request.user = user
    return request


# 1. changelist rows, result counts and filter choices


@pytest.mark.parametrize("model", MODELS)
def test_changelist_shows_only_rows_counts_and_filter_choices_of_own_warehouse(scoped_client, world, model):
    response = scoped_client.get(url(model, "changelist"))

    assert response.status_code == 200
    assert_no_leak(response)
    changelist = response.context["cl"]
    assert [obj.pk for obj in changelist.result_list] == [world[model][0].pk]
    assert changelist.result_count == 1
    for spec in changelist.filter_specs:
        offered = [str(choice[0]) for choice in getattr(spec, "lookup_choices", [])]
        assert str(world["bravo"].pk) not in offered


@pytest.mark.parametrize("model", ["stocklevel", "stockmovement"])
def test_warehouse_filter_offers_only_own_warehouses(scoped_client, scoped, world, model):
    annex = WarehouseFactory(code="ALPHA2", name="Alpha annex")
    grant(scoped, "view_stock", annex)

    changelist = scoped_client.get(url(model, "changelist")).context["cl"]

    warehouse_filter = next(spec for spec in changelist.filter_specs if spec.field_path == "warehouse")
    assert [pk for pk, _ in warehouse_filter.lookup_choices] == [world["alpha"].pk, annex.pk]


@pytest.mark.parametrize("model", ["stocklevel", "stockmovement"])
def test_filtering_by_other_warehouse_in_the_url_shows_none_of_its_rows(scoped_client, world, model):
    response = scoped_client.get(url(model, "changelist"), {"warehouse__id__exact": world["bravo"].pk})

    assert_no_leak(response)
    assert response.status_code == 200
    assert world[model][1].pk not in [obj.pk for obj in response.context["cl"].result_list]


@pytest.mark.parametrize("model", ["stocklevel", "stockmovement"])
@pytest.mark.parametrize("forged", ["other", "missing"])
@pytest.mark.parametrize("lookup", ["warehouse__id__exact", "warehouse", "warehouse__in"])
def test_filtering_by_other_warehouse_in_the_url_says_so_and_shows_nothing(scoped_client, world, model, forged, lookup):
    sent = world["bravo"].pk if forged == "other" else 999_999

    response = scoped_client.get(url(model, "changelist"), {lookup: sent})

    assert f"Warehouse {sent} is not one of yours. Showing nothing." in response.content.decode()
    assert list(response.context["cl"].result_list) == []
    assert_no_leak(response)


def test_filtering_by_own_warehouse_in_the_url_shows_its_rows_without_a_message(scoped_client, world):
    response = scoped_client.get(url("stocklevel", "changelist"), {"warehouse__id__exact": world["alpha"].pk})

    assert [obj.pk for obj in response.context["cl"].result_list] == [world["stocklevel"][0].pk]
    assert "is not one of yours" not in response.content.decode()


def test_user_without_any_grant_sees_no_stock(client, world):
    user = UserFactory(username="nowhere", roles=[MANAGER])
    client.force_login(user)

    for model in MODELS:
        response = client.get(url(model, "changelist"))
        assert response.status_code == 200
        assert response.context["cl"].result_count == 0


def test_superuser_sees_every_warehouse(admin_client, world):
    response = admin_client.get(url("stocklevel", "changelist"))

    assert response.context["cl"].result_count == 2
    assert "SKU-BRAVO" in response.content.decode()


# 2. change, delete and history views by URL


@pytest.mark.parametrize("view", ["change", "delete", "history"])
@pytest.mark.parametrize("model", MODELS)
def test_other_warehouse_object_by_url_is_not_found(scoped_client, world, model, view):
    response = scoped_client.get(url(model, view, world[model][1].pk))

    assert response.status_code == 404
    assert_no_leak(response)


# The ledger keeps no history table (it is its own history), so it has no history page at all.
@pytest.mark.parametrize(
    "model,view",
    [(model, "change") for model in MODELS] + [(model, "history") for model in MODELS if model != "stockmovement"],
)
def test_own_warehouse_object_opens_by_url(scoped_client, world, model, view):
    assert scoped_client.get(url(model, view, world[model][0].pk)).status_code == 200


@pytest.mark.parametrize(
    "model", ["warehouse", "stocklevel", "purchaseorder", "goodsreceipt", "transferorder", "stockcount"]
)
def test_history_version_of_other_warehouse_object_is_not_found(scoped_client, world, model):
    obj = world[model][1]
    version = obj.history.latest()

    response = scoped_client.get(url(model, "simple_history", obj.pk, version.history_id))

    assert response.status_code == 404
    assert_no_leak(response)


@pytest.mark.parametrize(
    "view",
    [
        "receive_goods",
        "place_order",
        "revise_line",
        "close_short",
        "cancel_order",
        "print_order",
        "import_lines",
        "po_lines_template",
    ],
)
def test_steps_of_other_warehouse_purchase_order_are_not_found(scoped_client, world, view):
    order = world["purchaseorder"][1]

    shown = scoped_client.get(url("purchaseorder", view, order.pk))
    posted = scoped_client.post(url("purchaseorder", view, order.pk), {"submission_key": "forged", "reason": "x"})

    assert (shown.status_code, posted.status_code) == (404, 404)
    assert_no_leak(shown)
    order.refresh_from_db()
    assert order.state == "received"


@pytest.mark.parametrize("view", ["ship_order", "receive_order", "close_short", "cancel_order", "print_packing_list"])
def test_steps_of_other_warehouse_transfer_order_are_not_found(scoped_client, world, view):
    order = world["transferorder"][1]

    shown = scoped_client.get(url("transferorder", view, order.pk))
    posted = scoped_client.post(url("transferorder", view, order.pk), {"submission_key": "forged", "reason": "x"})

    assert (shown.status_code, posted.status_code) == (404, 404)
    assert_no_leak(shown)
    order.refresh_from_db()
    assert order.state == "draft"


@pytest.mark.parametrize(
    "view",
    [
        "scan_count",
        "review_count",
        "print_count_sheet",
        "start_review",
        "post_count",
        "cancel_count",
        "import_counts",
        "count_entries_template",
    ],
)
def test_scan_review_and_steps_of_other_warehouse_count_are_not_found(scoped_client, world, view):
    count = world["stockcount"][1]

    shown = scoped_client.get(url("stockcount", view, count.pk))
    posted = scoped_client.post(url("stockcount", view, count.pk), {"submission_key": "forged", "code": "SKU-BRAVO"})

    assert (shown.status_code, posted.status_code) == (404, 404)
    assert_no_leak(shown)
    count.refresh_from_db()
    assert count.state == "open" and not count.lines.with_counted().filter(counted__isnull=False).exists()


def test_scanning_another_warehouses_product_into_own_count_says_only_that_it_is_not_in_it(scoped_client, world):
    count = world["stockcount"][0]

    response = scoped_client.post(
        url("stockcount", "scan_count", count.pk), {"code": "SKU-BRAVO", "submission_key": "scope-scan"}
    )

    assert response.status_code == 422
    assert "is not part of" in response.content.decode()
    assert "Bravo depot" not in response.content.decode()


def test_posting_to_other_warehouse_object_changes_nothing(scoped_client, scoped, world):
    give(scoped, "change_stocklevel")
    level = world["stocklevel"][1]

    response = scoped_client.post(url("stocklevel", "change", level.pk), {"bin": "HACKED"})

    assert response.status_code == 404
    level.refresh_from_db()
    assert level.bin == ""


# 3. search


@pytest.mark.parametrize("model", MODELS)
def test_search_finds_nothing_of_other_warehouse(scoped_client, world, model):
    for term in ["BRAVO", "SKU", "Bravo"]:
        response = scoped_client.get(url(model, "changelist"), {"q": term})
        assert response.status_code == 200
        assert_no_leak(response, echoed=term)
        assert all(obj.pk != world[model][1].pk for obj in response.context["cl"].result_list)


# 4. autocomplete endpoints and raw-id lookup popups


def test_warehouse_autocomplete_offers_only_own_warehouse(scoped_client, world):
    response = scoped_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "inventory", "model_name": "stocklevel", "field_name": "warehouse", "term": ""},
    )

    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(world["alpha"].pk)]
    assert_no_leak(response)


def test_warehouse_autocomplete_for_a_form_needing_operate_offers_only_operable_warehouses(client, world):
    viewer = UserFactory(username="mixed", roles=[MANAGER])
    grant(viewer, "view_stock", world["bravo"])
    grant(viewer, "operate_stock", world["alpha"])
    client.force_login(viewer)
    stock_admin = admin.site._registry[StockLevel]
    stock_admin.scope_permission = "operate_stock"
    try:
        response = client.get(
            reverse("admin:autocomplete"),
            {"app_label": "inventory", "model_name": "stocklevel", "field_name": "warehouse", "term": ""},
        )
    finally:
        del stock_admin.scope_permission

    assert [result["id"] for result in response.json()["results"]] == [str(world["alpha"].pk)]


@pytest.mark.parametrize("model", MODELS)
def test_autocomplete_search_of_each_admin_returns_only_own_warehouse(scoped, world, model):
    # What AutocompleteJsonView does with the target admin: get_queryset, then get_search_results.
    model_admin = admin.site._registry[world[model][0].__class__]
    request = request_for(scoped, reverse("admin:autocomplete"))
    for term in ["", "BRAVO", "SKU"]:
        queryset, _ = model_admin.get_search_results(request, model_admin.get_queryset(request), term)
        assert world[model][1].pk not in set(queryset.values_list("pk", flat=True))


@pytest.mark.parametrize("model", MODELS)
def test_raw_id_popup_lists_only_own_warehouse(scoped_client, world, model):
    response = scoped_client.get(url(model, "changelist"), {"_popup": "1", "_to_field": "id"})

    assert response.status_code == 200
    assert_no_leak(response)
    assert [obj.pk for obj in response.context["cl"].result_list] == [world[model][0].pk]


# 5. foreign-key choices in forms, and forged POSTs


@pytest.mark.parametrize("model", ["stocklevel", "stockmovement"])
def test_warehouse_choices_in_forms_are_only_own_warehouses(scoped, world, model):
    model_class = world[model][0].__class__
    model_admin = admin.site._registry[model_class]

    formfield = model_admin.formfield_for_foreignkey(model_class._meta.get_field("warehouse"), request_for(scoped))

    assert list(formfield.queryset) == [world["alpha"]]


def test_raw_id_widget_does_not_show_other_warehouse_name(scoped, world, monkeypatch):
    model_admin = admin.site._registry[StockLevel]
    monkeypatch.setattr(type(model_admin), "raw_id_fields", ["warehouse"])
    formfield = model_admin.formfield_for_foreignkey(StockLevel._meta.get_field("warehouse"), request_for(scoped))

    assert formfield.widget.label_and_url_for_value(world["bravo"].pk) == ("", "")
    assert "Alpha depot" in str(formfield.widget.label_and_url_for_value(world["alpha"].pk)[0])


def test_forged_post_moving_a_stock_row_to_other_warehouse_is_rejected(scoped_client, scoped, world, monkeypatch):
    give(scoped, "change_stocklevel")
    monkeypatch.setattr(
        type(admin.site._registry[StockLevel]),
        "readonly_fields",
        ["product", "on_hand", "on_order", "reserved", "average_cost"],
    )
    level = world["stocklevel"][0]

    response = scoped_client.post(
        url("stocklevel", "change", level.pk),
        {"product": world["hammer"].pk, "warehouse": world["bravo"].pk, "bin": "X1"},
    )

    assert response.status_code == 200
    assert "warehouse" in response.context["adminform"].form.errors
    assert_no_leak(response)
    level.refresh_from_db()
    assert (level.warehouse_id, level.bin) == (world["alpha"].pk, "")


def test_posting_form_offers_only_operable_warehouses_and_rejects_forged_one(scoped_client, world):
    form_page = scoped_client.get(reverse("admin:inventory_stockmovement_add"))
    assert_no_leak(form_page)

    response = scoped_client.post(
        reverse("admin:inventory_stockmovement_add"),
        {
            "kind": "receipt",
            "product": world["blaster"].pk,
            "warehouse": world["bravo"].pk,
            "quantity": "3",
            "unit_cost": "1",
            "_post": "1",
        },
    )

    assert response.status_code == 200
    assert "warehouse" in response.context["form"].errors
    assert StockMovement.objects.filter(warehouse=world["bravo"]).count() == 1


# 6. admin actions on a forged selection


@pytest.mark.parametrize("model", MODELS)
def test_action_on_forged_selection_touches_nothing_and_says_so(scoped_client, world, model, monkeypatch):
    received = []

    @admin.action(description="Record")
    def record(modeladmin, request, queryset):
        received.append(sorted(queryset.values_list("pk", flat=True)))

    monkeypatch.setattr(type(admin.site._registry[world[model][0].__class__]), "actions", [record])
    own, other = world[model]

    forged = scoped_client.post(
        url(model, "changelist"),
        {"action": "record", ACTION_CHECKBOX_NAME: [own.pk, other.pk], "index": 0},
        follow=True,
    )

    assert received == []
    assert "1 of the 2 selected" in forged.content.decode()
    assert "the action was not run" in forged.content.decode()
    assert_no_leak(forged)

    scoped_client.post(url(model, "changelist"), {"action": "record", ACTION_CHECKBOX_NAME: [own.pk], "index": 0})
    assert received == [[own.pk]]


def test_delete_action_with_other_warehouse_in_selection_deletes_nothing(scoped_client, scoped, world):
    give(scoped, "delete_warehouse")
    spare = WarehouseFactory(code="ALPHA2", name="Alpha annex")
    grant(scoped, "manage_stock", spare)
    empty_other = WarehouseFactory(code="BRAVO2", name="Bravo annex")

    scoped_client.post(
        url("warehouse", "changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [spare.pk, empty_other.pk], "post": "yes", "index": 0},
    )

    assert Warehouse.objects.filter(pk__in=[spare.pk, empty_other.pk]).count() == 2


# 7. transfers


def test_operating_in_alpha_does_not_allow_taking_stock_out_of_bravo(scoped, world):
    with pytest.raises(services.NotAllowed, match="BRAVO"):
        services.transfer(
            user=scoped, product=world["blaster"], source=world["bravo"], destination=world["alpha"], quantity=1
        )

    assert StockLevel.objects.get(warehouse=world["bravo"]).on_hand == Decimal("7")
    assert not StockLevel.objects.filter(warehouse=world["alpha"], product=world["blaster"]).exists()


def test_forged_transfer_out_of_bravo_through_the_posting_form_is_rejected(scoped_client, world):
    response = scoped_client.post(
        reverse("admin:inventory_stockmovement_add"),
        {
            "kind": "transfer",
            "product": world["blaster"].pk,
            "warehouse": world["bravo"].pk,
            "destination": world["alpha"].pk,
            "quantity": "1",
            "_post": "1",
        },
    )

    assert response.status_code == 200
    assert "warehouse" in response.context["form"].errors
    assert StockMovement.objects.count() == 2


def test_report_viewer_cannot_post_movements_even_where_they_see_stock(client, world):
    viewer = UserFactory(username="alpha_viewer", roles=["Report viewer"])
    grant(viewer, "view_stock", world["alpha"])
    client.force_login(viewer)

    assert client.get(url("stocklevel", "changelist")).context["cl"].result_count == 1
    assert client.get(reverse("admin:inventory_stockmovement_add")).status_code == 403
    with pytest.raises(services.NotAllowed):
        services.receive(user=viewer, product=world["hammer"], warehouse=world["alpha"], quantity=1, unit_cost=1)


def test_refused_reversal_of_a_transfer_does_not_name_the_other_warehouse(scoped_client, superuser, world):
    out_leg, _ = services.transfer(
        user=superuser, product=world["hammer"], source=world["alpha"], destination=world["bravo"], quantity=2
    )

    response = scoped_client.post(
        f"/admin/inventory/stockmovement/{out_leg.pk}/reverse/", {"submission_key": "k1"}, follow=True
    )

    assert "This movement touches a warehouse that is not one of yours; you cannot reverse it." in (
        response.content.decode()
    )
    assert_no_leak(response)
    assert not StockMovement.objects.filter(reverses__isnull=False).exists()


# 8. dashboard and report figures


def test_dashboard_shows_nothing_of_other_warehouse(scoped_client, world):
    response = scoped_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert_no_leak(response)


# 9. export and import


def exportable_models() -> list[str]:
    """The warehouse-bound admins that offer export (more join as the import/export work lands)."""
    models = {"warehouse": Warehouse, "stocklevel": StockLevel, "stockmovement": StockMovement}
    return [name for name, model in models.items() if hasattr(admin.site._registry[model], "get_export_queryset")]


@pytest.mark.parametrize("model", exportable_models())
def test_export_queryset_holds_no_row_of_other_warehouse(scoped, world, model):
    model_admin = admin.site._registry[world[model][0].__class__]
    request = request_for(scoped, url(model, "changelist"))

    exported = list(model_admin.get_export_queryset(request).values_list("pk", flat=True))

    assert exported == [world[model][0].pk]


def test_scoped_manager_cannot_import_warehouses(scoped_client):
    assert scoped_client.get(url("warehouse", "import")).status_code == 403


# 10. the audit log: a document line's history is filed under its order's warehouse


def test_audit_log_shows_no_purchase_order_line_or_receipt_line_of_other_warehouse(scoped_client, world):
    own_order, other_order = world["purchaseorder"]
    own_receipt, other_receipt = world["goodsreceipt"]

    page = scoped_client.get(reverse("admin:audit_log")).content.decode()

    # Products are catalog, visible to every role; the other warehouse's documents are not.
    assert f"{own_order.number}: SKU-ALPHA" in page and f"{own_receipt.number}: SKU-ALPHA" in page
    for leak in (other_order.number, other_receipt.number):
        assert leak not in page


def test_purchase_order_export_holds_no_order_of_other_warehouse(scoped, world):
    from inventory.exports import EXPORTERS

    own, other = world["purchaseorder"]

    table = EXPORTERS["changelist"](scoped, {"model": "inventory.purchaseorder"})

    rows = [list(row) for row in table.rows]
    assert table.total == 1 and [row[0] for row in rows] == [own.number]
    assert not any(other.number in str(cell) for row in rows for cell in row)


def test_transfer_order_export_holds_no_order_of_other_warehouse(scoped, world):
    from inventory.exports import EXPORTERS

    own, other = world["transferorder"]

    table = EXPORTERS["changelist"](scoped, {"model": "inventory.transferorder"})

    rows = [list(row) for row in table.rows]
    assert table.total == 1 and [row[0] for row in rows] == [own.number]
    assert not any(other.number in str(cell) for row in rows for cell in row)
