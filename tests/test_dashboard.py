"""The admin home page: scoped KPI cards and charts, a warehouse filter, an empty state, a cache that is never stale."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory import services
from inventory.reports import dashboard_figures
from inventory.roles import REPORT_VIEWER
from tests.factories import ProductFactory, UserFactory, WarehouseFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(superuser, warehouse_a, warehouse_b):
    """A: 10 hammers received (2 issued today); B: 1000 buckets received, 300 issued."""
    hammer = ProductFactory(sku="HAMMER", reorder_point=Decimal("8"))
    bucket = ProductFactory(sku="BUCKET", reorder_point=Decimal("1"))
    services.receive(user=superuser, product=hammer, warehouse=warehouse_a, quantity=10, unit_cost="3.00")
    services.issue(user=superuser, product=hammer, warehouse=warehouse_a, quantity=2)
    services.receive(user=superuser, product=bucket, warehouse=warehouse_b, quantity=1000, unit_cost="1.00")
    services.issue(user=superuser, product=bucket, warehouse=warehouse_b, quantity=300)
    return {"hammer": hammer, "bucket": bucket}


def test_superuser_sees_figures_for_every_warehouse(superuser, activity):
    figures = dashboard_figures(superuser)
    assert figures.stock_value == Decimal("724.00")
    assert figures.value_by_warehouse == [("A", Decimal("24.00")), ("B", Decimal("700.00"))]
    assert figures.below_reorder_point == 1
    assert figures.movements_today == 4
    assert (figures.receipts_this_week, figures.issues_this_week) == (2, 2)
    assert figures.received_per_day[-1] == Decimal("1010.000")
    assert figures.issued_per_day[-1] == Decimal("302.000")
    assert [(sku, units) for sku, _, units in figures.top_issued] == [
        ("BUCKET", Decimal("300.000")),
        ("HAMMER", Decimal("2.000")),
    ]


def test_manager_of_a_sees_only_a_on_the_dashboard(client, manager, activity):
    client.force_login(manager)
    response = client.get(reverse("admin:index"))
    figures = response.context["dashboard"]["figures"]
    assert figures.stock_value == Decimal("24.00")
    assert figures.value_by_warehouse == [("A", Decimal("24.00"))]
    assert [sku for sku, _, _ in figures.top_issued] == ["HAMMER"]
    html = response.content.decode()
    assert "24.00" in html and "BUCKET" not in html and "700.00" not in html


def test_manager_is_offered_only_their_own_warehouses_in_the_dashboard_filter(client, manager, activity):
    client.force_login(manager)
    response = client.get(reverse("admin:index"))
    assert [choice.code for choice in response.context["dashboard"]["form"].fields["warehouse"].queryset] == ["A"]


@pytest.mark.parametrize("forged", ["other", "missing"])
def test_dashboard_asked_for_another_warehouse_says_so_and_shows_no_figures(
    client, manager, warehouse_b, activity, forged
):
    sent = warehouse_b.pk if forged == "other" else 999_999
    client.force_login(manager)

    response = client.get(reverse("admin:index"), {"warehouse": sent})

    html = response.content.decode()
    assert f"Warehouse {sent} is not one of yours. Showing nothing." in html
    # Neither the other warehouse's figures nor, silently, the manager's own.
    assert 'id="dashboard-kpis"' not in html
    assert "24.00" not in html and "700.00" not in html and "BUCKET" not in html and "HAMMER" not in html


def test_warehouse_filter_narrows_every_card_and_chart(admin_client, warehouse_b, activity):
    response = admin_client.get(reverse("admin:index"), {"warehouse": warehouse_b.pk})
    figures = response.context["dashboard"]["figures"]
    assert figures.stock_value == Decimal("700.00")
    assert figures.below_reorder_point == 0
    assert figures.movements_today == 2
    assert figures.issued_per_day[-1] == Decimal("300.000")
    assert [sku for sku, _, _ in figures.top_issued] == ["BUCKET"]


def test_user_without_warehouse_gets_an_empty_state_not_zeros(client, activity):
    user = UserFactory(username="newcomer", roles=[REPORT_VIEWER])
    client.force_login(user)
    html = client.get(reverse("admin:index")).content.decode()
    assert "No warehouse assigned yet" in html
    assert 'id="dashboard-kpis"' not in html


def test_posted_movement_shows_on_the_dashboard_at_once(superuser, warehouse_a, activity):
    before = dashboard_figures(superuser, warehouse_a)
    services.issue(user=superuser, product=activity["hammer"], warehouse=warehouse_a, quantity=1)
    assert dashboard_figures(superuser, warehouse_a).movements_today == before.movements_today + 1


def test_catalog_edit_shows_on_the_dashboard_at_once(superuser, activity):
    assert dashboard_figures(superuser).below_reorder_point == 1
    bucket = activity["bucket"]
    bucket.reorder_point = Decimal("5000")
    bucket.save()
    assert dashboard_figures(superuser).below_reorder_point == 2


def test_unchanged_figures_come_from_the_cache(superuser, activity, django_assert_max_num_queries):
    dashboard_figures(superuser)
    with django_assert_max_num_queries(2):  # the "what changed" look-up, nothing aggregated
        dashboard_figures(superuser)


def test_cache_is_keyed_by_scope_so_users_never_share_figures(superuser, manager, activity):
    assert dashboard_figures(superuser).stock_value == Decimal("724.00")
    assert dashboard_figures(manager).stock_value == Decimal("24.00")


def test_receipts_last_week_are_outside_this_week_but_inside_the_chart(superuser, warehouse_a):
    product = ProductFactory(sku="OLD")
    last_week = timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=8), time(12)))
    services.receive(user=superuser, product=product, warehouse=warehouse_a, quantity=5, unit_cost="1", at=last_week)
    figures = dashboard_figures(superuser)
    assert figures.receipts_this_week == 0 and figures.movements_today == 0
    assert figures.received_per_day[-9] == Decimal("5.000")


def test_group_granted_viewer_sees_their_group_warehouse(client, activity):
    other = WarehouseFactory(code="C")
    user = UserFactory(username="c_viewer", roles=[REPORT_VIEWER])
    grant(user, "view_stock", other)
    client.force_login(user)
    figures = client.get(reverse("admin:index")).context["dashboard"]["figures"]
    assert figures.stock_value == Decimal("0.00") and figures.value_by_warehouse == []


def test_charts_have_a_titled_value_axis_a_legend_and_a_one_warehouse_view_by_category(client, superuser):
    import json as json_module

    from inventory.models import Warehouse
    from inventory.roles import REPORT_VIEWER
    from tests.factories import CategoryFactory, ProductFactory, UserFactory, grant

    only = Warehouse.objects.create(code="ONLY", name="Only one")
    paint, tools = CategoryFactory(name="Paint"), CategoryFactory(name="Tools")
    for sku, category, cost in (("P-1", paint, "3"), ("T-1", tools, "9")):
        services.receive(
            user=superuser,
            product=ProductFactory(sku=sku, category=category),
            warehouse=only,
            quantity=10,
            unit_cost=cost,
        )
    viewer = UserFactory(roles=[REPORT_VIEWER])
    grant(viewer, "view_stock", only)
    client.force_login(viewer)
    dashboard = client.get("/admin/").context["dashboard"]
    assert dashboard["value_chart_title"] == "Stock value by category"
    assert json_module.loads(dashboard["value_chart"])["labels"] == ["Tools", "Paint"]  # largest first
    movement = json_module.loads(dashboard["movement_chart_options"])
    assert movement["plugins"]["legend"]["display"] is True
    assert movement["scales"]["y"]["title"]["text"] == "Units" and movement["scales"]["y"]["ticks"]["display"]
    assert json_module.loads(dashboard["value_chart_options"])["scales"]["y"]["title"]["text"] == "Value (USD)"
