"""Forbidden and not-found pages inside the admin layout, one log line per refusal, and ids that are not ids."""

import logging

import pytest
from django.contrib import admin
from django.urls import reverse

from backoffice.admin.bases import StockroomModelAdmin
from inventory import services
from inventory.models import StockMovement
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_clerk_opening_a_superuser_page_sees_why_inside_the_admin(client, clerk):
    client.force_login(clerk)

    response = client.get(reverse("admin:auth_user_changelist"))

    page = response.content.decode()
    assert response.status_code == 403
    assert 'id="nav-sidebar"' in page
    assert "Movements ledger" in page  # the clerk's own sidebar, so they can carry on
    assert "You don&#x27;t have access to this page" in page
    assert "Ask an Administrator for access, or go back to the home page." in page
    assert f'href="{reverse("admin:index")}"' in page


def test_missing_admin_page_is_a_404_inside_the_admin(client, clerk):
    client.force_login(clerk)

    response = client.get("/admin/inventory/product/999999/change/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "Movements ledger" in page
    assert "This page does not exist" in page
    assert f'href="{reverse("admin:index")}"' in page


def test_signed_out_visitor_gets_a_styled_404_without_the_sidebar(client):
    response = client.get("/nowhere/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "This page does not exist" in page
    assert "Movements ledger" not in page


def test_one_refusal_writes_one_log_line_without_a_traceback(client, clerk, caplog):
    client.force_login(clerk)
    # The security log does not propagate to the root logger; listen to it as well.
    security = logging.getLogger("stockroom.security")
    security.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO):
            caplog.clear()
            client.get(reverse("admin:auth_user_changelist"))
    finally:
        security.removeHandler(caplog.handler)

    assert len(caplog.records) == 1, [record.getMessage() for record in caplog.records]
    record = caplog.records[0]
    assert record.exc_info is None
    assert "Traceback" not in caplog.text
    assert record.path == reverse("admin:auth_user_changelist")


def _non_numeric_urls():
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        for view in ("change", "history", "delete"):
            yield pytest.param(
                f"admin:{opts.app_label}_{opts.model_name}_{view}",
                isinstance(model_admin, StockroomModelAdmin),
                id=f"{opts.label}-{view}",
            )


@pytest.mark.parametrize(("url_name", "is_ours"), list(_non_numeric_urls()))
def test_an_id_that_is_not_a_number_is_not_found(admin_client, url_name, is_ours):
    response = admin_client.get(reverse(url_name, args=["abc"]))

    # Ours answer 404; the packages' admins (users, roles, task results) redirect or refuse, never fail.
    assert response.status_code == 404 if is_ours else response.status_code < 500


def test_movement_pages_with_an_id_that_is_not_a_number_are_not_found(admin_client, superuser, warehouse_a):
    services.receive(user=superuser, product=ProductFactory(), warehouse=warehouse_a, quantity=5, unit_cost=1)
    movement = StockMovement.objects.get()
    reverse_url = reverse("admin:inventory_stockmovement_post_reversal", args=[movement.pk])
    assert admin_client.get(reverse_url).status_code == 200

    # unfold asks the action's permission first: refused, as for a movement that does not exist.
    assert admin_client.get(reverse_url.replace(f"/{movement.pk}/", "/abc/")).status_code == 403
    assert admin_client.get(f"/admin/inventory/stockmovement/{movement.pk}/change/reverse/").status_code == 403
    assert admin_client.get(f"/admin/inventory/product/abc/history/{1}/").status_code == 404
    assert admin_client.get("/admin/inventory/warehouse/abc/permissions/").status_code == 404
