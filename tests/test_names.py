"""One name for each thing: the sidebar, breadcrumbs, page titles, buttons and messages agree, for every demo role."""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.html import strip_tags

from inventory import access
from inventory.demo import demo_spec
from inventory.models import AccessEvent, DataJob, StockLevel
from tests.factories import ProductFactory, SuperuserFactory, UserFactory, WarehouseFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_users(db) -> dict:
    """The demo logins, with their roles and warehouse grants as in fixtures/demo.json."""
    for entry in demo_spec()["warehouses"]:
        WarehouseFactory(code=entry["code"], name=entry["name"])
    users = {}
    for entry in demo_spec()["users"]:
        if entry.get("superuser"):
            users[entry["username"]] = SuperuserFactory(username=entry["username"])
            continue
        user = UserFactory(username=entry["username"], roles=[entry["role"]])
        for code, permission in entry.get("grants", {}).items():
            grant(user, permission, WarehouseFactory(code=code))
        users[entry["username"]] = user
    return users


def _sidebar(page: str) -> str:
    """The sidebar's words, without its icons' names."""
    start = page.rindex("<", 0, page.index('id="nav-sidebar-apps"'))
    sidebar = page[start : page.index("</nav>", start)]
    sidebar = re.sub(r'<span class="material-symbols-outlined.*?</span>', "", sidebar, flags=re.S)
    return " ".join(strip_tags(sidebar).split())


def _crumbs(page: str) -> list[str]:
    """The breadcrumbs in the page header."""
    crumbs = re.findall(
        r'class="align-middle inline-block leading-5 min-w-0 truncate tracking-tight">(.*?)</', page, re.S
    )
    return [" ".join(strip_tags(crumb).split()) for crumb in crumbs]


def _page(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.parametrize("username", ["manager", "clerk", "viewer", "admin"])
def test_stock_pages_are_under_stock_in_breadcrumbs_as_in_the_sidebar(client, demo_users, username):
    user = demo_users[username]
    warehouse = access.warehouses_for(user).order_by("code").first()
    level = StockLevel.objects.create(product=ProductFactory(sku="SKU-0001"), warehouse=warehouse, on_hand=1)

    changelist = _page(client, user, reverse("admin:inventory_stocklevel_changelist"))
    change = _page(client, user, reverse("admin:inventory_stocklevel_change", args=[level.pk]))

    assert "Stock Warehouses Stock levels Movements ledger" in _sidebar(changelist)
    assert _crumbs(changelist) == ["Stock", "Stock levels"]
    assert _crumbs(change) == ["Stock", "Stock levels", f"SKU-0001 @ {warehouse.code}"]
    assert "Inventory" not in _crumbs(change)


@pytest.mark.parametrize("username", ["catalog", "clerk", "admin"])
def test_catalog_pages_are_under_catalog_in_breadcrumbs(client, demo_users, username):
    product = ProductFactory(sku="SKU-0002", name="Widget")

    page = _page(client, demo_users[username], reverse("admin:inventory_product_change", args=[product.pk]))

    assert _crumbs(page)[:2] == ["Catalog", "Products"]
    assert "Catalog Products Categories Suppliers" in _sidebar(page)


def test_catalog_role_with_no_warehouse_sees_no_warehouses_in_the_sidebar(client, demo_users):
    page = _page(client, demo_users["catalog"], reverse("admin:index"))

    sidebar = _sidebar(page)
    assert "Products" in sidebar
    assert "Warehouses" not in sidebar
    assert "Stock levels" not in sidebar


@pytest.mark.parametrize("username", ["manager", "clerk", "viewer", "admin"])
def test_roles_with_a_warehouse_see_warehouses_in_the_sidebar(client, demo_users, username):
    assert "Warehouses" in _sidebar(_page(client, demo_users[username], reverse("admin:index")))


def test_a_role_that_loses_its_last_warehouse_loses_warehouses_in_the_sidebar(client, demo_users):
    viewer = demo_users["viewer"]
    viewer.warehouseuserpermission_set.all().delete()

    assert "Warehouses" not in _sidebar(_page(client, viewer, reverse("admin:index")))


@pytest.mark.parametrize("username", ["catalog", "clerk", "admin"])
def test_background_jobs_are_called_background_jobs_everywhere(client, demo_users, username):
    user = demo_users[username]
    job = DataJob.objects.create(kind=DataJob.Kind.EXPORT, title="Export of products", created_by=user)

    changelist = _page(client, user, reverse("admin:inventory_datajob_changelist"))
    change = _page(client, user, reverse("admin:inventory_datajob_change", args=[job.pk]))

    assert "Background jobs" in _sidebar(changelist)
    assert _crumbs(changelist) == ["Stock", "Background jobs"]
    assert _crumbs(change)[:2] == ["Stock", "Background jobs"]
    for page in (changelist, change):
        assert "data job" not in page.lower()


def test_access_log_is_called_access_log_everywhere(client, demo_users):
    admin = demo_users["admin"]
    entry = AccessEvent.objects.first()  # the demo users' grants were recorded

    changelist = _page(client, admin, reverse("admin:inventory_accessevent_changelist"))
    change = _page(client, admin, reverse("admin:inventory_accessevent_change", args=[entry.pk]))

    assert "Access log" in _sidebar(changelist)
    assert _crumbs(changelist) == ["Access", "Access log"]
    assert _crumbs(change)[:2] == ["Access", "Access log"]
    for page in (changelist, change):
        assert "access event" not in page.lower()


def test_roles_are_called_roles_on_their_pages_buttons_and_messages(client, demo_users):
    admin = demo_users["admin"]

    changelist = _page(client, admin, reverse("admin:inventory_role_changelist"))
    added = client.post(reverse("admin:inventory_role_add"), {"name": "Night shift"}, follow=True)
    user_page = _page(client, admin, reverse("admin:auth_user_change", args=[demo_users["clerk"].pk]))

    assert "Roles" in _sidebar(changelist)
    assert _crumbs(changelist) == ["Access", "Roles"]
    assert 'title="Add role"' in changelist and "Add group" not in changelist
    assert "The role “Night shift” was added successfully." in strip_tags(added.content.decode())
    assert _crumbs(added.content.decode())[:2] == ["Access", "Roles"]
    assert Group.objects.filter(name="Night shift").exists()
    assert "The roles this user has" in user_page and "The groups this user belongs to" not in user_page
