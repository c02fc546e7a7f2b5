"""The demo-style manager opens the dashboard and sees only their warehouse."""

from decimal import Decimal

import pytest

from inventory import services
from inventory.roles import MANAGER, sync_roles
from tests.factories import ProductFactory, UserFactory, WarehouseFactory, grant


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_sees_only_their_warehouse_on_the_dashboard(login, live_server):
    from django.contrib.auth.models import Group, Permission, User

    # An earlier transactional test's flush removes the role groups the data migration made.
    sync_roles(Group, Permission)
    alpha, bravo = WarehouseFactory(code="ALPHA"), WarehouseFactory(code="BRAVO")
    admin = User.objects.create_superuser("root", "root@example.com", "pass")
    product = ProductFactory(sku="WIDGET", reorder_point=Decimal("1"))
    services.receive(user=admin, product=product, warehouse=alpha, quantity=4, unit_cost="2.50")
    services.receive(user=admin, product=product, warehouse=bravo, quantity=100, unit_cost="9.00")
    manager = UserFactory(username="boss", roles=[MANAGER])
    grant(manager, "manage_stock", alpha)

    page = login("boss")
    kpis = page.locator("#dashboard-kpis")
    kpis.wait_for()
    assert kpis.locator(".kpi-value").first.inner_text() == "$10.00"
    assert page.locator("#value-by-warehouse").inner_text().strip() == "ALPHA: 10.00"
    options = page.locator("#dashboard-filter select option").all_inner_texts()
    assert any("ALPHA" in option for option in options)
    assert not any("BRAVO" in option for option in options)
    assert "900.00" not in page.content()
