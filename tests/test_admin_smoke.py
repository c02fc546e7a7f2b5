"""Every admin screen opens, and lists run a constant number of queries."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory import services
from inventory.models import StockLevel, StockMovement
from tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def registered_models():
    return [model for model in admin.site._registry]


@pytest.fixture
def one_of_everything(superuser):
    product = ProductFactory()
    warehouse = WarehouseFactory(code="MAIN")
    services.receive(user=superuser, product=product, warehouse=warehouse, quantity=5, unit_cost=1)
    return product


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_superuser_opens_changelist_add_and_change_pages(admin_client, one_of_everything, model):
    opts = model._meta
    changelist = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    model_admin = admin.site._registry[model]
    request = changelist.wsgi_request
    if model_admin.has_add_permission(request):
        # The ledger's add page opens the first posting screen (a redirect); every other one answers at once.
        add = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"), follow=True)
        assert add.status_code == 200
    obj = model._default_manager.first()
    if obj is not None:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        assert admin_client.get(url).status_code == 200


def test_site_root_redirects_to_the_admin(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def _stock_list_queries(client, rows: int) -> int:
    StockLevel.objects.all().delete()
    warehouse = WarehouseFactory(code="LIST")
    for _ in range(rows):
        StockLevelFactory(warehouse=warehouse, on_hand=3)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:inventory_stocklevel_changelist"), {"all": ""})
    assert response.status_code == 200
    return len(queries)


def test_stock_level_changelist_query_count_does_not_grow_with_rows(admin_client):
    StockMovement.objects.all().delete()
    assert _stock_list_queries(admin_client, 10) == _stock_list_queries(admin_client, 200)


def test_movement_ledger_cannot_be_changed_or_deleted(admin_client, one_of_everything):
    movement = StockMovement.objects.get()
    change = admin_client.post(reverse("admin:inventory_stockmovement_change", args=[movement.pk]), {"quantity": "99"})
    assert change.status_code == 403
    delete = admin_client.post(reverse("admin:inventory_stockmovement_delete", args=[movement.pk]), {"post": "yes"})
    assert delete.status_code == 403
    movement.refresh_from_db()
    assert movement.quantity == 5


def test_every_admin_page_names_its_favicon(admin_client):
    page = admin_client.get("/admin/").content.decode()

    assert 'rel="icon"' in page and "backoffice/favicon" in page


def test_the_root_favicon_leads_to_the_icon_every_page_links(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301 and response["Location"].endswith("backoffice/favicon.svg")
