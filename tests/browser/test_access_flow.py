"""The demo manager sees only MAIN; an admin grants NORTH in the access console; the manager then sees it."""

import pytest
from django.contrib.auth.models import User

from inventory.demo import load_demo
from inventory.models import StockLevel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def stock_codes(page, live_server) -> set[str]:
    page.goto(f"{live_server.url}/admin/inventory/stocklevel/?all=")
    cells = page.locator("#result_list tbody td.field-warehouse").all_inner_texts()
    return {cell.split(" — ")[0].strip() for cell in cells}


def test_manager_sees_only_main_until_admin_grants_north(browser, page, login, live_server):
    load_demo()
    north_level = StockLevel.objects.filter(warehouse__code="NORTH").first()

    login("manager", "stockroom-manager")
    assert stock_codes(page, live_server) == {"MAIN"}
    response = page.goto(f"{live_server.url}/admin/inventory/stocklevel/{north_level.pk}/change/")
    assert response.status == 404
    assert "North depot" not in page.content()

    admin_page = browser.new_context().new_page()
    admin_page.goto(f"{live_server.url}/admin/login/")
    admin_page.fill("input[name=username]", "admin")
    admin_page.fill("input[name=password]", "stockroom-admin")
    admin_page.click("button[type=submit]")
    admin_page.wait_for_url(f"{live_server.url}/admin/")
    admin_page.goto(f"{live_server.url}/admin/access/")
    admin_page.select_option("select[name=operation]", "grant")
    admin_page.select_option("select[name=permission]", "view_stock")
    admin_page.check(f"input[name=warehouses][value='{north_level.warehouse_id}']")
    admin_page.check(f"input[name=users][value='{User.objects.get(username='manager').pk}']")
    admin_page.click("button[name=_apply]")
    admin_page.wait_for_url(f"{live_server.url}/admin/access/")
    assert "Granted view in NORTH for manager" in admin_page.content()
    matrix_row = admin_page.locator("tr[data-subject='user:manager']").text_content()
    assert "manage" in matrix_row and "view" in matrix_row

    # NORTH's users also see what is in transit to it (the demo has one transfer on the way from MAIN).
    assert stock_codes(page, live_server) == {"MAIN", "NORTH", "TRANSIT-NORTH"}
    response = page.goto(f"{live_server.url}/admin/inventory/stocklevel/{north_level.pk}/change/")
    assert response.status == 200
