"""History pages: scope, safe revert, readable escaped diffs; the ledger offers a reversal instead."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from inventory import services
from inventory.models import StockMovement
from inventory.roles import CATALOG_EDITOR, MANAGER, REPORT_VIEWER
from tests.audit_helpers import product_form_data
from tests.factories import CategoryFactory, ProductFactory, StockLevelFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


def version_url(obj, record) -> str:
    return f"/admin/inventory/{obj._meta.model_name}/{obj.pk}/history/{record.history_id}/"


def first_version(obj):
    return type(obj).history.filter(id=obj.pk).earliest("history_id")


def test_clerk_cannot_open_history_of_stock_outside_their_warehouse(client, clerk, warehouse_a, warehouse_b):
    mine, theirs = StockLevelFactory(warehouse=warehouse_a), StockLevelFactory(warehouse=warehouse_b)
    client.force_login(clerk)

    assert client.get(f"/admin/inventory/stocklevel/{mine.pk}/history/").status_code == 200
    assert client.get(f"/admin/inventory/stocklevel/{theirs.pk}/history/").status_code == 404
    assert client.get(version_url(theirs, first_version(theirs))).status_code == 404
    assert client.post(version_url(theirs, first_version(theirs)), {"bin": "X"}).status_code == 404


def test_history_of_a_deleted_object_stays_visible_to_whoever_could_see_it(client, warehouse_a, warehouse_b):
    viewer = UserFactory(roles=[REPORT_VIEWER])
    grant(viewer, "view_stock", warehouse_a)
    category = CategoryFactory()
    category_id = category.pk
    category.delete()
    client.force_login(viewer)

    assert client.get(f"/admin/inventory/category/{category_id}/history/").status_code == 200
    assert client.get("/admin/inventory/category/999999/history/").status_code == 404


def test_history_page_shows_who_what_and_the_diff_with_related_objects_by_name(admin_client, superuser):
    product = ProductFactory(category=CategoryFactory(name="Hammers"))
    new_category = CategoryFactory(name="Mallets")
    admin_client.post(
        f"/admin/inventory/product/{product.pk}/change/",
        product_form_data(product, category=new_category.pk, unit="box"),
    )

    page = admin_client.get(f"/admin/inventory/product/{product.pk}/history/").content.decode()

    assert superuser.username in page
    assert "Hammers" in page and "Mallets" in page
    assert "Box" in page  # the choice label, not the code
    assert f">{new_category.pk}<" not in page


def test_a_script_in_a_product_name_is_shown_as_text_in_history(admin_client):
    product = ProductFactory(name="<script>alert(1)</script>")
    admin_client.post(f"/admin/inventory/product/{product.pk}/change/", product_form_data(product, name="Safe"))

    for url in [f"/admin/inventory/product/{product.pk}/history/", version_url(product, first_version(product))]:
        page = admin_client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_editor_reverts_a_product_and_the_revert_is_recorded(client):
    editor = UserFactory(roles=[CATALOG_EDITOR])
    product = ProductFactory(name="Original")
    original = first_version(product)
    product.name = "Mistake"
    product.save()
    client.force_login(editor)
    assert 'name="_save"' in client.get(version_url(product, original)).content.decode()

    response = client.post(
        version_url(product, original),
        product_form_data(original.instance),
    )

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.name == "Original"
    latest = product.history.latest("history_id")
    assert (latest.history_type, latest.history_user) == ("~", editor)
    assert latest.history_change_reason.startswith("revert to version of")


def test_a_revert_goes_through_the_edit_form_validation(admin_client):
    product = ProductFactory()
    other = ProductFactory()
    records = product.history.count()

    response = admin_client.post(
        version_url(product, first_version(product)), product_form_data(product, sku=other.sku)
    )

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.sku != other.sku
    assert product.history.count() == records
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("Nothing was reverted" in m and "SKU" in m for m in messages)


def test_view_only_user_sees_no_revert_button_and_a_forged_revert_is_refused(client, report_viewer):
    product = ProductFactory(name="Original")
    original = first_version(product)
    product.name = "Current"
    product.save()
    client.force_login(report_viewer)

    page = client.get(version_url(product, original))
    forged = client.post(version_url(product, original), product_form_data(product, name="Original"))

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert forged.status_code == 403
    product.refresh_from_db()
    assert product.name == "Current"


def test_reverting_a_stock_level_never_rewinds_stock(admin_client, superuser, warehouse_a):
    level = StockLevelFactory(warehouse=warehouse_a, bin="OLD")
    services.receive(user=superuser, product=level.product, warehouse=warehouse_a, quantity=7, unit_cost=2)
    level.refresh_from_db()
    level.bin = "NEW"
    level.save()

    admin_client.post(version_url(level, first_version(level)), {"bin": "OLD"})

    level.refresh_from_db()
    assert (level.bin, level.on_hand) == ("OLD", Decimal("7"))


def test_the_ledger_has_no_history_pages(admin_client, superuser, warehouse_a):
    movement = services.receive(
        user=superuser, product=ProductFactory(), warehouse=warehouse_a, quantity=1, unit_cost=1
    )

    assert admin_client.get(f"/admin/inventory/stockmovement/{movement.pk}/history/").status_code == 404


@pytest.fixture
def receipt(clerk, warehouse_a):
    return services.receive(
        user=clerk, product=ProductFactory(), warehouse=warehouse_a, quantity=5, unit_cost=2, reference="PO-7"
    )


def test_manager_posts_a_reversing_movement_from_the_ledger(client, manager, receipt):
    client.force_login(manager)
    change_page = client.get(f"/admin/inventory/stockmovement/{receipt.pk}/change/").content.decode()
    assert "Post reversing movement" in change_page

    response = client.post(
        f"/admin/inventory/stockmovement/{receipt.pk}/reverse/", {"reason": "Wrong supplier", "submission_key": "k1"}
    )

    assert response.status_code == 302
    reversal = StockMovement.objects.get(reverses=receipt)
    assert (reversal.quantity, reversal.created_by, reversal.reason) == (Decimal("-5"), manager, "Wrong supplier")
    receipt.refresh_from_db()
    assert receipt.quantity == Decimal("5")


def test_reversing_twice_shows_the_reason_as_a_message(client, manager, receipt):
    client.force_login(manager)
    client.post(f"/admin/inventory/stockmovement/{receipt.pk}/reverse/", {"submission_key": "tab-1"})

    # A second tab: its own key, so the ledger itself refuses the second reversal.
    response = client.post(
        f"/admin/inventory/stockmovement/{receipt.pk}/reverse/", {"submission_key": "tab-2"}, follow=True
    )

    assert "already been reversed" in response.content.decode()
    assert StockMovement.objects.filter(reverses=receipt).count() == 1


def test_clerk_gets_no_reversal_button_and_a_forged_reversal_is_refused(client, clerk, receipt):
    client.force_login(clerk)

    page = client.get(f"/admin/inventory/stockmovement/{receipt.pk}/change/").content.decode()
    forged = client.post(f"/admin/inventory/stockmovement/{receipt.pk}/reverse/", {"submission_key": "k"})

    assert "Post reversing movement" not in page
    assert forged.status_code == 403
    assert not StockMovement.objects.filter(reverses=receipt).exists()


def test_manager_of_another_warehouse_cannot_reverse(client, warehouse_b, receipt):
    other = UserFactory(roles=[MANAGER])
    grant(other, "manage_stock", warehouse_b)
    client.force_login(other)

    assert client.post(
        f"/admin/inventory/stockmovement/{receipt.pk}/reverse/", {"submission_key": "k"}
    ).status_code in (403, 404)
    assert not StockMovement.objects.filter(reverses=receipt).exists()


def test_clerk_role_cannot_revert_stock_level_history(client, clerk, warehouse_a):
    level = StockLevelFactory(warehouse=warehouse_a, bin="OLD")
    level.bin = "NEW"
    level.save()
    client.force_login(clerk)

    assert client.post(version_url(level, first_version(level)), {"bin": "OLD"}).status_code == 403
    level.refresh_from_db()
    assert level.bin == "NEW"


def test_who_may_change_stock_levels_but_only_view_the_warehouse_cannot_revert_there(client, warehouse_a):
    user = UserFactory(roles=[REPORT_VIEWER])
    user.user_permissions.add(Permission.objects.get(codename="change_stocklevel"))
    grant(user, "view_stock", warehouse_a)
    level = StockLevelFactory(warehouse=warehouse_a, bin="OLD")
    level.bin = "NEW"
    level.save()
    client.force_login(user)

    page = client.get(version_url(level, first_version(level)))
    forged = client.post(version_url(level, first_version(level)), {"bin": "OLD"})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert forged.status_code == 403
    level.refresh_from_db()
    assert level.bin == "NEW"


def test_a_record_written_by_no_user_says_system_and_links_nowhere(admin_client):
    product = ProductFactory(sku="SYS-1")  # factories write outside any request, as commands do

    page = admin_client.get(f"/admin/inventory/product/{product.pk}/history/").content.decode()

    assert "System" in page
    assert "/admin/auth/user/None/" not in page
    assert ">None<" not in page


def test_the_revert_page_links_back_to_the_objects_history(admin_client):
    product = ProductFactory(sku="REV-TAB")
    record = product.history.latest()

    page = admin_client.get(f"/admin/inventory/product/{product.pk}/history/{record.pk}/").content.decode()

    # unfold renders a tab without a link as a dropdown toggle; without its x-data that is a script error.
    assert page.count('x-on:click="actionDropdownOpen') <= page.count('x-data="{actionDropdownOpen: false}"')
    assert f'href="/admin/inventory/product/{product.pk}/history/"' in page
